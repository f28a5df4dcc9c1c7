import type { BenchPractitioner } from './seed.js';

/**
 * The headers every measured request carries: the bench's practitioner signs in through the API
 * (POST /auth/login), so commands and reads are measured with authentication, the role's access
 * rules and the care-team reach checks on, as a clinic's client meets them.
 */
export async function authHeaders(baseUrl: string, practitioner: BenchPractitioner): Promise<Record<string, string>> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ username: practitioner.username, password: practitioner.password }),
  });
  if (!response.ok) throw new Error(`sign-in as the bench practitioner answered ${response.status}: ${await response.text()}`);
  const { accessToken } = (await response.json()) as { accessToken: string };
  return { authorization: `Bearer ${accessToken}` };
}
