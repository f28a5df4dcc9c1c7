import t from 'tap';
import { passwordProblem } from '../../src/accounts/password-policy.js';
import { hashPassword, verifyPassword } from '../../src/accounts/passwords.js';

const context = { email: 'grace.hopper@example.org', username: 'amazing_grace' };

t.test('a password of at least 12 characters, personal to no one, is accepted', async (t) => {
  t.equal(passwordProblem('tulip lantern orbit 42', context), undefined);
  t.equal(passwordProblem('ünïcødé-pässwörd', context), undefined);
});

t.test('a password is refused when', async (t) => {
  t.match(passwordProblem('short pass', context), /at least 12/, 'shorter than 12 characters');
  t.match(passwordProblem('x'.repeat(129), context), /at most 128/, 'longer than 128 characters');
  t.match(passwordProblem('my name is Grace.Hopper', context), /email/, 'it contains the local part of the email');
  t.match(passwordProblem('I am AMAZING_GRACE!!', context), /username/, 'it contains the username');
  t.match(passwordProblem('123456789012', context), /common/, 'it is on the common list');
  t.match(passwordProblem('Password2024!!', context), /common/, 'it is a common word dressed with digits and symbols');
  t.match(passwordProblem('abababababababab', context), /repeated/, 'it is one or two characters repeated');
});

t.test('scrypt hashes are salted, verify only the right password, and survive a cost change', async (t) => {
  const first = await hashPassword('tulip lantern orbit 42', 10);
  const second = await hashPassword('tulip lantern orbit 42', 10);
  t.not(first, second, 'a fresh salt each time');
  t.ok(await verifyPassword('tulip lantern orbit 42', first));
  t.notOk(await verifyPassword('tulip lantern orbit 43', first));
  const cheaper = await hashPassword('tulip lantern orbit 42', 11);
  t.ok(await verifyPassword('tulip lantern orbit 42', cheaper), 'parameters travel with the hash');
  t.notOk(await verifyPassword('anything', 'not-a-hash'));
});
