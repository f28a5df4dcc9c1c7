import type { PractitionerAssignedToPatient, PractitionerUnassignedFromPatient } from '../src/patients/events.js';
import { DELETE_ROW, eventTypes, type Projection } from './projection.js';

/** One row per practitioner on a patient's care team: what lists join to stay within reach. */
export interface CareTeamRow {
  /** `<patientId>:<practitionerId>`: the runner keys rows by one column. */
  membership: string;
  patient_id: string;
  practitioner_id: string;
  assigned_at: Date;
  assigned_by_id: string | null;
  assigned_by_role: string;
  position: number;
}

type CareTeamEvent = PractitionerAssignedToPatient | PractitionerUnassignedFromPatient;

export const careTeam: Projection<CareTeamRow, CareTeamEvent, true> = {
  name: 'care_team',
  // Who put the practitioner on the team.
  readsMetadata: true,
  eventTypes: eventTypes<CareTeamEvent>({ PractitionerAssignedToPatient: true, PractitionerUnassignedFromPatient: true }),
  columns: ['membership', 'patient_id', 'practitioner_id', 'assigned_at', 'assigned_by_id', 'assigned_by_role', 'position'],
  key: 'membership',
  keyOf: (event) => `${event.data.patientId}:${event.data.practitionerId}`,
  apply(row, event) {
    switch (event.type) {
      case 'PractitionerAssignedToPatient': {
        // Assigned twice without a removal cannot happen (the decider refuses), but a fact is a
        // fact: keep the first assignment's details.
        if (row) return row;
        const { patientId, practitionerId } = event.data;
        return {
          membership: `${patientId}:${practitionerId}`,
          patient_id: patientId,
          practitioner_id: practitionerId,
          assigned_at: event.recordedAt,
          assigned_by_id: event.metadata.actorId,
          assigned_by_role: event.metadata.actorRole,
          position: event.position,
        };
      }
      case 'PractitionerUnassignedFromPatient':
        return DELETE_ROW;
      default: {
        const unhandled: never = event;
        throw new Error(`Unhandled event ${JSON.stringify(unhandled)}`);
      }
    }
  },
};
