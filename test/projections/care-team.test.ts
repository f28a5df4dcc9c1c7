import t from 'tap';
import type { StoredEvent } from '../../src/event-store/types.js';
import { PATIENT_ID, storedHistory } from '../helpers/patients.js';
import type { PatientEvent } from '../../src/patients/events.js';
import { careTeam, type CareTeamRow } from '../../projections/care-team.js';
import { patientSummary, type PatientSummaryRow } from '../../projections/patient-summary.js';

const patientId = PATIENT_ID;
const drOkafor = '0192f0c4-7a6b-7d3e-9c1a-000000000001';
const admin = '0192f0c4-7a6b-7d3e-9c1a-00000000000a';

const stream = (...events: PatientEvent[]) => storedHistory(events, { actorId: admin, actorRole: 'admin' });

/** Folds events into rows by key, as the runner does. */
function rows(events: StoredEvent[]): Map<string, CareTeamRow> {
  const result = new Map<string, CareTeamRow>();
  for (const event of events.filter((e) => careTeam.eventTypes.includes(e.type))) {
    const key = careTeam.keyOf(event);
    const next = careTeam.apply(result.get(key), event);
    if (next) result.set(key, next);
    else result.delete(key);
  }
  return result;
}

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
  const before = patientSummary.apply(undefined, first!) as PatientSummaryRow;
  const after = patientSummary.apply(before, second!);
  t.same(after, { ...before, version: 2, position: 107, updated_at: second!.recordedAt });
});
