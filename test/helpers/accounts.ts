import { v4 as uuid } from 'uuid';
import type { TestApp } from './app.js';

export const PASSWORD = 'a long enough passphrase 7';

/** Fresh, unique sign-up fields: tests keep apart by random values, not by wiping tables. */
export function signUpFields(overrides: Record<string, unknown> = {}): { email: string; phone: string; password: string; [field: string]: unknown } {
  const tag = uuid().slice(0, 8);
  return {
    accountType: 'patient',
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: `ada.${tag}@example.org`,
    phone: `+23480${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
    password: PASSWORD,
    acceptTerms: true,
    dateOfBirth: '1990-02-03',
    ...overrides,
  };
}

export async function signUp(test: TestApp, overrides: Record<string, unknown> = {}) {
  const fields = signUpFields(overrides);
  const response = await test.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: fields });
  if (response.statusCode !== 201) throw new Error(`sign-up failed: ${response.statusCode} ${response.body}`);
  return { ...fields, ...(response.json() as { id: string; version: number; position: number; patientId?: string; practitionerId?: string }) };
}

export async function signIn(test: TestApp, username: string, password = PASSWORD) {
  const response = await test.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  return response.json() as { accessToken: string; refreshToken: string; expiresIn: number };
}

/** The token in the newest mail to `to` whose subject matches, as the recipient would click it. */
export async function linkTokenMailedTo(test: TestApp, to: string, subject: RegExp): Promise<string> {
  const result = await test.db.pool.query<{ subject: string; body: string }>(
    'select subject, body from mail_outbox where to_address = $1 order by created_at desc, id desc',
    [to],
  );
  const mail = result.rows.find((row) => subject.test(row.subject));
  const token = mail && /#token=([A-Za-z0-9_-]+)/.exec(mail.body)?.[1];
  if (!token) throw new Error(`no mail to ${to} matching ${subject}`);
  return token;
}

/** Follows the verification link mailed to `email`, as its owner would. */
export async function verifyEmail(test: TestApp, email: string) {
  const token = await linkTokenMailedTo(test, email, /Confirm your email/);
  const response = await test.app.inject({ method: 'POST', url: '/api/v1/auth/verify-email', payload: { token } });
  if (response.statusCode !== 200) throw new Error(`verification failed: ${response.statusCode} ${response.body}`);
}

export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });
