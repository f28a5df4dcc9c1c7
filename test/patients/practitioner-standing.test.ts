import t from 'tap';
import type { StoredEvent } from '../../src/event-store/types.js';
import { standingOf } from '../../src/patients/practitioner-standing.js';

const practitionerId = '0192f0c4-7a6b-7d3e-9c1a-000000000001';

const stored = (streamType: string, type: string, data: object): StoredEvent => ({
  position: 1,
  transactionId: '1',
  streamId: practitionerId,
  streamType,
  streamVersion: 1,
  eventId: '00000000-0000-4000-8000-000000000000',
  type,
  schemaVersion: 1,
  data,
  metadata: { actorId: null, actorRole: 'admin' },
  recordedAt: new Date(),
});
const registered = stored('practitioner', 'PractitionerRegistered', { practitionerId, accountId: 'a', firstName: 'N', lastName: 'O' });
const verified = stored('practitioner', 'PractitionerVerified', { practitionerId, verifiedBy: 'admin' });

t.test("a practitioner's standing, read from their own stream", async (t) => {
  t.equal(standingOf([]), 'unknown', 'no stream: no practitioner');
  t.equal(standingOf([registered]), 'pending', 'registered, not yet verified');
  t.equal(standingOf([registered, verified]), 'verified');
  t.equal(
    standingOf([stored('patient', 'PatientRegistered', { patientId: practitionerId })]),
    'unknown',
    'a stream of another kind is no practitioner',
  );
});
