import t from 'tap';
import type { StoredEvent } from '../../src/event-store/types.js';
import { foldRows } from './fold.js';
import { adaDemographics, PATIENT_ID, storedHistory } from '../helpers/patients.js';
import type { Demographics, PatientEvent } from '../../src/patients/events.js';
import { patientSummary, type PatientSummaryRow } from '../../projections/patient-summary.js';

const patientId = PATIENT_ID;

// Ada with no state in her address: the summary must keep a null as null.
const demographics: Demographics = adaDemographics({
  address: { line: '1 Marina Road', city: 'Lagos', state: null, postalCode: '101001', country: 'NG' },
});
const stream = (...events: PatientEvent[]) => storedHistory(events);

const fold = (events: StoredEvent[], from?: PatientSummaryRow) =>
  foldRows(patientSummary, events, new Map(from ? [[patientId, from]] : [])).get(patientId);

const registered: PatientEvent = { type: 'PatientRegistered', data: { patientId, mrn: 'MRN-001', ...demographics } };
const updated = (changes: Partial<Demographics>): PatientEvent => ({
  type: 'PatientDemographicsUpdated',
  data: { patientId, changes },
});
const deactivated: PatientEvent = { type: 'PatientDeactivated', data: { patientId, reason: 'Duplicate record' } };
const reactivated: PatientEvent = { type: 'PatientReactivated', data: { patientId, reason: 'Registered in error' } };

const registeredRow: PatientSummaryRow = {
  patient_id: patientId,
  mrn: 'MRN-001',
  first_name: 'Ada',
  last_name: 'Lovelace',
  date_of_birth: '1990-02-03',
  sex: 'female',
  phone: '+2348012345678',
  email: 'ada@example.org',
  address: { line: '1 Marina Road', city: 'Lagos', state: null, postalCode: '101001', country: 'NG' },
  blood_group: 'O+',
  genotype: 'AA',
  nationality: 'Nigerian',
  emergency_contacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
  active: true,
  status_reason: null,
  version: 1,
  position: 100,
  registered_at: new Date('2026-01-01T09:30:00Z'),
  updated_at: new Date('2026-01-01T09:30:00Z'),
};

t.test('a registration becomes a row with every column, active, at the event version and position', async (t) => {
  t.same(fold(stream(registered)), registeredRow);
});

t.test('the row has exactly the columns the projection declares', async (t) => {
  t.same(Object.keys(fold(stream(registered))!).sort(), [...patientSummary.columns].sort());
});

t.test('an update changes only the fields it carries', async (t) => {
  const row = fold(stream(registered, updated({ lastName: 'King', genotype: 'AS' })));
  t.same(row, {
    ...registeredRow,
    last_name: 'King',
    genotype: 'AS',
    version: 2,
    position: 107,
    updated_at: new Date('2026-01-02T09:30:00Z'),
  });
});

t.test('an update with null clears the column', async (t) => {
  const row = fold(stream(registered, updated({ phone: null, email: null, address: null, emergencyContacts: [] })));
  t.match(row, { phone: null, email: null, address: null, emergency_contacts: [], first_name: 'Ada', blood_group: 'O+' });
});

t.test('every demographic field maps to its own column', async (t) => {
  const changes: Demographics = {
    firstName: 'Augusta',
    lastName: 'King',
    dateOfBirth: '1991-03-04',
    sex: 'other',
    phone: '+14155550100',
    email: 'augusta@example.org',
    address: { line: '2 Broad St', city: 'Abuja', state: 'FCT', postalCode: null, country: 'NG' },
    bloodGroup: 'AB-',
    genotype: 'SC',
    nationality: 'British',
    emergencyContacts: [],
  };
  t.same(fold(stream(registered, updated(changes))), {
    ...registeredRow,
    first_name: 'Augusta',
    last_name: 'King',
    date_of_birth: '1991-03-04',
    sex: 'other',
    phone: '+14155550100',
    email: 'augusta@example.org',
    address: { line: '2 Broad St', city: 'Abuja', state: 'FCT', postalCode: null, country: 'NG' },
    blood_group: 'AB-',
    genotype: 'SC',
    nationality: 'British',
    emergency_contacts: [],
    version: 2,
    position: 107,
    updated_at: new Date('2026-01-02T09:30:00Z'),
  });
});

t.test('deactivation marks the row inactive with its reason; reactivation restores it with the new reason', async (t) => {
  const inactive = fold(stream(registered, deactivated));
  const active = fold(stream(registered, deactivated, reactivated));
  t.same(inactive, { ...registeredRow, active: false, status_reason: 'Duplicate record', version: 2, position: 107, updated_at: new Date('2026-01-02T09:30:00Z') });
  t.same(active, { ...registeredRow, active: true, status_reason: 'Registered in error', version: 3, position: 114, updated_at: new Date('2026-01-03T09:30:00Z') });
});

t.test('registered_at stays the registration time while updated_at follows the last event', async (t) => {
  const row = fold(stream(registered, updated({ lastName: 'King' }), deactivated));
  t.same(row?.registered_at, new Date('2026-01-01T09:30:00Z'));
  t.same(row?.updated_at, new Date('2026-01-03T09:30:00Z'));
  t.equal(row?.version, 3);
  t.equal(row?.position, 114);
});

t.test('events are folded into a row loaded from the table just as into one built in memory', async (t) => {
  const events = stream(registered, updated({ lastName: 'King' }), deactivated);
  const stored = fold(events.slice(0, 1));
  t.same(fold(events.slice(1), stored), fold(events));
});

t.test('an event for a patient with no row leaves no row: a projection never invents a half record', async (t) => {
  const [, update, deactivation] = stream(registered, updated({ lastName: 'King' }), deactivated);
  t.equal(patientSummary.apply(undefined, update!), undefined);
  t.equal(patientSummary.apply(undefined, deactivation!), undefined);
});

t.test('the row is keyed by the stream id', async (t) => {
  t.equal(patientSummary.keyOf(stream(registered)[0]!), patientId);
  t.equal(patientSummary.key, 'patient_id');
});

t.test('folding does not modify the row it was given', async (t) => {
  const before = fold(stream(registered))!;
  const copy = structuredClone(before);
  fold(stream(registered, updated({ lastName: 'King', address: null }), deactivated).slice(1), before);
  t.same(before, copy);
});

t.test('care-team events change nothing shown but move version and position, which the ETag must follow', async (t) => {
  const practitionerId = '0192f0c4-0000-7000-8000-000000000001';
  const assigned: PatientEvent = { type: 'PractitionerAssignedToPatient', data: { patientId, practitionerId } };
  const unassigned: PatientEvent = { type: 'PractitionerUnassignedFromPatient', data: { patientId, practitionerId } };
  t.same(fold(stream(registered, assigned, unassigned)), {
    ...registeredRow,
    version: 3,
    position: 114,
    updated_at: new Date('2026-01-03T09:30:00Z'),
  });
  t.ok(patientSummary.eventTypes.includes('PractitionerAssignedToPatient'), 'the runner hands them over');
});
