import t from 'tap';
import type { AssignPractitioner, PatientCommand, UnassignPractitioner } from '../../src/patients/commands.js';
import { patientDecider } from '../../src/patients/decider.js';
import type { PatientState } from '../../src/patients/patient.js';
import type { PatientEvent } from '../../src/patients/events.js';
import type { PractitionerStanding } from '../../src/patients/practitioner-standing.js';
import { bareDemographics, PATIENT_ID } from '../helpers/patients.js';
import { specFor } from '../helpers/spec.js';

const spec = specFor(patientDecider);

const patientId = PATIENT_ID;
const drOkafor = '0192f0c4-7a6b-7d3e-9c1a-000000000001';
const drBello = '0192f0c4-7a6b-7d3e-9c1a-000000000002';

const registration = { patientId, mrn: 'MRN-001', ...bareDemographics() };
const registered: PatientEvent = { type: 'PatientRegistered', data: registration };
const deactivated: PatientEvent = { type: 'PatientDeactivated', data: { patientId, reason: 'Duplicate record' } };
const assigned = (practitionerId: string): PatientEvent => ({
  type: 'PractitionerAssignedToPatient',
  data: { patientId, practitionerId },
});
const unassigned = (practitionerId: string): PatientEvent => ({
  type: 'PractitionerUnassignedFromPatient',
  data: { patientId, practitionerId },
});

const assign = (practitionerId: string, practitionerStanding: PractitionerStanding = 'verified'): AssignPractitioner => ({
  type: 'AssignPractitioner',
  patientId,
  practitionerId,
  practitionerStanding,
});
const unassign = (practitionerId: string): UnassignPractitioner => ({ type: 'UnassignPractitioner', patientId, practitionerId });

const stateAfter = (...history: PatientEvent[]): PatientState =>
  history.reduce(patientDecider.evolve, patientDecider.initialState());

t.test('AssignPractitioner', async (t) => {
  t.test('a verified practitioner joins the care team', async (t) => {
    spec(t).given(registered).when(assign(drOkafor)).then([assigned(drOkafor)]);
  });

  t.test('a practitioner already on the team is not assigned twice: nothing to do', async (t) => {
    spec(t).given(registered, assigned(drOkafor)).when(assign(drOkafor)).thenNothing();
  });

  t.test('a practitioner who was removed can be assigned again', async (t) => {
    spec(t).given(registered, assigned(drOkafor), unassigned(drOkafor)).when(assign(drOkafor)).then([assigned(drOkafor)]);
  });

  t.test('a practitioner whose profile is still pending verification cannot join', async (t) => {
    spec(t).given(registered).when(assign(drOkafor, 'pending')).thenRejected({ kind: 'conflict' });
  });

  t.test('an id that names no practitioner is refused, naming the field', async (t) => {
    spec(t)
      .given(registered)
      .when(assign(drOkafor, 'unknown'))
      .thenRejected({ kind: 'invalid', field: 'practitionerId' });
  });

  t.test('an unregistered patient has no care team', async (t) => {
    spec(t).given().when(assign(drOkafor)).thenRejected({ kind: 'not-found' });
  });

  t.test('an inactive record takes no new members', async (t) => {
    spec(t).given(registered, deactivated).when(assign(drOkafor)).thenRejected({ kind: 'conflict' });
  });
});

t.test('UnassignPractitioner', async (t) => {
  t.test('a member leaves the care team', async (t) => {
    spec(t).given(registered, assigned(drOkafor), assigned(drBello)).when(unassign(drOkafor)).then([unassigned(drOkafor)]);
  });

  t.test('someone not on the team: nothing to do', async (t) => {
    spec(t).given(registered, assigned(drBello)).when(unassign(drOkafor)).thenNothing();
  });

  t.test('someone already removed: nothing to do', async (t) => {
    spec(t).given(registered, assigned(drOkafor), unassigned(drOkafor)).when(unassign(drOkafor)).thenNothing();
  });

  t.test('access can be withdrawn even while the record is inactive', async (t) => {
    spec(t).given(registered, assigned(drOkafor), deactivated).when(unassign(drOkafor)).then([unassigned(drOkafor)]);
  });

  t.test('an unregistered patient has no care team', async (t) => {
    spec(t).given().when(unassign(drOkafor)).thenRejected({ kind: 'not-found' });
  });
});

t.test('RegisterPatient by a practitioner', async (t) => {
  const { patientId: _, mrn, ...demographics } = registration;
  const register = (registeringPractitionerId?: string): PatientCommand => ({
    type: 'RegisterPatient',
    patientId,
    mrn,
    demographics,
    today: '2026-03-15',
    ...(registeringPractitionerId ? { registeringPractitionerId } : {}),
  });

  t.test('the registering practitioner joins the care team in the same append', async (t) => {
    spec(t).given().when(register(drOkafor)).then([registered, assigned(drOkafor)]);
  });

  t.test('registered by anyone else, the care team starts empty', async (t) => {
    spec(t).given().when(register()).then([registered]);
  });
});

t.test('the care team in the state', async (t) => {
  t.same(stateAfter(registered, assigned(drOkafor), assigned(drBello), unassigned(drOkafor)), {
    ...stateAfter(registered),
    careTeam: [drBello],
  });
});
