import t from 'tap';
import type { PatientEvent } from '../../src/patients/events.js';
import { eventTypes } from '../../projections/projection.js';

type CareTeamEvent = Extract<PatientEvent, { type: 'PractitionerAssignedToPatient' | 'PractitionerUnassignedFromPatient' }>;

// `npm run typecheck` holds these lines to their errors: the list and the union cannot disagree.
t.test('the event types a projection folds are exactly those of its event union', async (t) => {
  t.same(eventTypes<CareTeamEvent>({ PractitionerAssignedToPatient: true, PractitionerUnassignedFromPatient: true }), [
    'PractitionerAssignedToPatient',
    'PractitionerUnassignedFromPatient',
  ]);
  // @ts-expect-error a type of the union left out
  eventTypes<CareTeamEvent>({ PractitionerAssignedToPatient: true });
  // @ts-expect-error a type the union lacks
  eventTypes<CareTeamEvent>({ PractitionerAssignedToPatient: true, PractitionerUnassignedFromPatient: true, PatientRegistered: true });
});
