import t from 'tap';
import { derivedKey } from '../../src/auth/keys.js';
import { openSuccessor, sealSuccessor } from '../../src/sessions/sealed-successor.js';

const serverKey = derivedKey('a-secret-of-at-least-thirty-two-characters', 'refresh-successors');
const pair = { accessToken: 'eyJ.access.token', refreshToken: 'the-new-refresh-token' };

t.test('the replaced token and the server key together open the sealed pair', async (t) => {
  t.same(openSuccessor(serverKey, 'old-token', sealSuccessor(serverKey, 'old-token', pair)), pair);
});

t.test('the sealed pair shows no token in the clear', async (t) => {
  const sealed = sealSuccessor(serverKey, 'old-token', pair).toString('latin1');
  t.notOk(sealed.includes(pair.refreshToken) || sealed.includes(pair.accessToken));
});

t.test('another token, another server key or a damaged seal opens nothing', async (t) => {
  const sealed = sealSuccessor(serverKey, 'old-token', pair);
  t.equal(openSuccessor(serverKey, 'another-token', sealed), undefined);
  t.equal(openSuccessor(derivedKey('another-secret-of-at-least-thirty-two-chars', 'refresh-successors'), 'old-token', sealed), undefined);
  const damaged = Buffer.from(sealed);
  damaged.writeUInt8(damaged.readUInt8(damaged.length - 1) ^ 1, damaged.length - 1);
  t.equal(openSuccessor(serverKey, 'old-token', damaged), undefined);
});
