import t from 'tap';
import type { StoredEvent } from '../../src/event-store/types.js';
import { foldRows } from './fold.js';
import { PATIENT_ID, storedHistory } from '../helpers/patients.js';
import type { PatientEvent } from '../../src/patients/events.js';
import { careTeam } from '../../projections/care-team.js';
import { patientSummary } from '../../projections/patient-summary.js';

const patientId = PATIENT_ID;
const drOkafor = '0192f0c4-7a6b-7d3e-9c1a-000000000001';
const admin = '0192f0c4-7a6b-7d3e-9c1a-00000000000a';

const stream = (...events: PatientEvent[]) => storedHistory(events, { actorId: admin, actorRole: 'admin' });

const rows = (events: StoredEvent[]) => foldRows(careTeam, events);

const registered: PatientEvent = {
  type: 'PatientRegistered',
  data: {
    patientId, mrn: 'MRN-9', firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-02-03', sex: 'female', phone: null,
    email: null, address: null, bloodGroup: null, genotype: null, nationality: null, emergencyContacts: [],
  },
};
const assigned: PatientEvent = { type: 'PractitionerAssignedToPatient', data: { patientId, practitionerId: drOkafor } };
const unassigned: PatientEvent = { type: 'PractitionerUnassignedFromPatient', data: { patientId, practitionerId: drOkafor } };

t.test('an assignment becomes a membership row naming who assigned and when', async (t) => {
  t.same([...rows(stream(registered, assigned)).values()], [
    {
      membership: `${patientId}:${drOkafor}`,
      patient_id: patientId,
      practitioner_id: drOkafor,
      assigned_at: new Date('2026-01-02T09:30:00Z'),
      assigned_by_id: admin,
      assigned_by_role: 'admin',
      position: 107,
    },
  ]);
});

t.test('an unassignment removes the row; a new assignment brings a fresh one', async (t) => {
  t.equal(rows(stream(registered, assigned, unassigned)).size, 0);
  t.match([...rows(stream(registered, assigned, unassigned, assigned)).values()], [{ position: 121 }]);
});

t.test("care-team events move the patient summary's version, its ETag, and change nothing else", async (t) => {
  const [first, second] = stream(registered, assigned);
  const before = foldRows(patientSummary, [first!]).get(patientId)!;
  const after = foldRows(patientSummary, [second!], new Map([[patientId, before]])).get(patientId);
  t.same(after, { ...before, version: 2, position: 107, updated_at: second!.recordedAt });
});
