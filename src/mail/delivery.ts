import nodemailer from 'nodemailer';
import type pg from 'pg';
import type { Mail } from './outbox.js';

export interface MailTransport {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export function smtpTransport(smtpUrl: string, from: string): MailTransport {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.body });
    },
    close: () => transport.close(),
  };
}

export interface DeliveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * What went wrong, in words that name no one: nodemailer's code, the SMTP reply code and the
 * command refused (`EENVELOPE 550 RCPT TO`). The message is left out, since SMTP servers quote the
 * recipient's address in their replies.
 */
function deliveryFailure(error: unknown): string {
  const { name, code, responseCode, command } = error as { name?: string; code?: string; responseCode?: number; command?: string };
  return [code ?? name ?? 'Error', responseCode, command].filter((part) => part !== undefined).join(' ');
}

const MAX_ATTEMPTS = 8;
// 30 s, 1 min, 2 min … about an hour in all: longer than that, the links inside have expired anyway.
const retryDelaySeconds = (attempts: number) => 30 * 2 ** (attempts - 1);

/**
 * Sends every due mail, one row at a time under `for update skip locked`, so several workers share
 * the outbox without sending anything twice. With no transport, mail is held for a developer to
 * read in mail_outbox. A sent body is erased: it holds a single-use link. Logs and last_error never
 * name the recipient nor quote the body.
 */
export async function deliverDueMail(pool: pg.Pool, transport: MailTransport | undefined, log: DeliveryLog): Promise<number> {
  let handled = 0;
  for (;;) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const result = await client.query<{ id: string; to_address: string; subject: string; body: string; attempts: number }>(
        `select id, to_address, subject, body, attempts from mail_outbox
         where status = 'pending' and next_attempt_at <= now()
         order by next_attempt_at limit 1 for update skip locked`,
      );
      const mail = result.rows[0];
      if (!mail) {
        await client.query('commit');
        return handled;
      }
      if (!transport) {
        await client.query(`update mail_outbox set status = 'held' where id = $1`, [mail.id]);
        log.info({ mailId: mail.id, subject: mail.subject }, 'mail held in mail_outbox: no SMTP_URL is configured');
      } else {
        try {
          await transport.send({ to: mail.to_address, subject: mail.subject, body: mail.body });
          await client.query(
            `update mail_outbox set status = 'sent', body = null, delivered_at = now(), attempts = attempts + 1 where id = $1`,
            [mail.id],
          );
        } catch (error) {
          const failure = deliveryFailure(error);
          const attempts = mail.attempts + 1;
          const failed = attempts >= MAX_ATTEMPTS;
          await client.query(
            `update mail_outbox set attempts = $2, last_error = $3,
               status = case when $4 then 'failed' else 'pending' end,
               body = case when $4 then null else body end,
               next_attempt_at = now() + make_interval(secs => $5)
             where id = $1`,
            [mail.id, attempts, failure, failed, retryDelaySeconds(attempts)],
          );
          log.warn({ mailId: mail.id, attempts, failure }, failed ? 'mail could not be delivered; giving up' : 'mail delivery failed; will retry');
        }
      }
      await client.query('commit');
      handled += 1;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}
