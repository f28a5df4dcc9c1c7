import { newId } from '../ids.js';
import type { Queryable } from '../event-store/types.js';

export interface Mail {
  to: string;
  subject: string;
  body: string;
}

export const MAIL_CHANNEL = 'pams_mail';

/**
 * Queues mail in the caller's transaction: it is sent only if that transaction commits, and then
 * surely. The NOTIFY wakes the mail worker at commit; its schedule covers a missed wake-up.
 */
export async function enqueueMail(on: Queryable, mail: Mail): Promise<string> {
  const id = newId();
  await on.query(
    `with queued as (insert into mail_outbox (id, to_address, subject, body) values ($1, $2, $3, $4) returning id)
     select pg_notify('${MAIL_CHANNEL}', id::text) from queued`,
    [id, mail.to, mail.subject, mail.body],
  );
  return id;
}
