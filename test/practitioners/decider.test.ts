import t from 'tap';
import { practitionerDecider } from '../../src/practitioners/decider.js';
import type { PractitionerEvent } from '../../src/practitioners/events.js';
import { specFor } from '../helpers/spec.js';

const spec = specFor(practitionerDecider);
const practitionerId = '0192f0c4-7a6b-7d3e-9c1a-000000000003';
const accountId = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';
const adminId = '0192f0c4-7a6b-7d3e-9c1a-00000000000a';
const registered: PractitionerEvent = {
  type: 'PractitionerRegistered',
  data: { practitionerId, accountId, firstName: 'Grace', lastName: 'Hopper' },
};
const verified: PractitionerEvent = { type: 'PractitionerVerified', data: { practitionerId, verifiedBy: adminId } };

t.test('a practitioner profile is registered pending, names trimmed', async (t) => {
  spec(t)
    .given()
    .when({ type: 'RegisterPractitioner', practitionerId, accountId, firstName: ' Grace ', lastName: 'Hopper' })
    .then([registered]);
  spec(t).given(registered).when({ type: 'RegisterPractitioner', practitionerId, accountId, firstName: 'G', lastName: 'H' }).thenRejected({ kind: 'conflict' });
  spec(t).given().when({ type: 'RegisterPractitioner', practitionerId, accountId, firstName: ' ', lastName: 'H' }).thenRejected({ kind: 'invalid', field: 'firstName' });
});

t.test('an admin verifies a pending practitioner once; again changes nothing', async (t) => {
  spec(t).given(registered).when({ type: 'VerifyPractitioner', practitionerId, verifiedBy: adminId }).then([verified]);
  spec(t).given(registered, verified).when({ type: 'VerifyPractitioner', practitionerId, verifiedBy: adminId }).thenNothing();
});

t.test('a practitioner that does not exist cannot be verified', async (t) => {
  spec(t).given().when({ type: 'VerifyPractitioner', practitionerId, verifiedBy: adminId }).thenRejected({ kind: 'not-found' });
});
