import { rejectConflict, rejectInvalid, rejectNotFound, type Rejection } from '../event-store/decider.js';
import type { AssignPractitioner, UnassignPractitioner } from './commands.js';
import type { PatientEvent } from './events.js';
import type { PatientState } from './patient.js';

// The care team decides which practitioners may reach a patient's record (see reach.ts), so who
// joins it is a clinical-governance fact, recorded in the patient's own stream.

export function assignPractitioner(command: AssignPractitioner, state: PatientState): PatientEvent[] | Rejection {
  if (state.status === 'unregistered') return rejectNotFound(`No patient with id ${command.patientId}.`);
  if (state.careTeam.includes(command.practitionerId)) return [];
  if (state.status === 'inactive') {
    return rejectConflict('The patient record is inactive; reactivate it before changing its care team.');
  }
  switch (command.practitionerStanding) {
    case 'unknown':
      return rejectInvalid('practitionerId', 'is not a registered practitioner');
    case 'pending':
      return rejectConflict(
        `Practitioner ${command.practitionerId} is not verified yet; an admin must verify them before they join a care team.`,
      );
    case 'verified':
      return [
        {
          type: 'PractitionerAssignedToPatient',
          data: { patientId: command.patientId, practitionerId: command.practitionerId },
        },
      ];
  }
}

// Removing someone is always possible, even from an inactive record: withdrawing access must never
// wait for anything.
export function unassignPractitioner(command: UnassignPractitioner, state: PatientState): PatientEvent[] | Rejection {
  if (state.status === 'unregistered') return rejectNotFound(`No patient with id ${command.patientId}.`);
  if (!state.careTeam.includes(command.practitionerId)) return [];
  return [
    {
      type: 'PractitionerUnassignedFromPatient',
      data: { patientId: command.patientId, practitionerId: command.practitionerId },
    },
  ];
}
