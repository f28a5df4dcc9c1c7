import type { PatientEvent } from '../src/patients/events.js';
import type { Projection } from './projection.js';

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

type CareTeamEvent = Extract<PatientEvent, { type: 'PractitionerAssignedToPatient' | 'PractitionerUnassignedFromPatient' }>;

export const careTeam: Projection<CareTeamRow, true> = {
  name: 'care_team',
  // Who put the practitioner on the team.
  readsMetadata: true,
  eventTypes: ['PractitionerAssignedToPatient', 'PractitionerUnassignedFromPatient'],
  columns: ['membership', 'patient_id', 'practitioner_id', 'assigned_at', 'assigned_by_id', 'assigned_by_role', 'position'],
  key: 'membership',
  jsonColumns: [],
  keyOf: (event) => {
    const { patientId, practitionerId } = (event.data as CareTeamEvent['data']);
    return `${patientId}:${practitionerId}`;
  },
  apply(row, stored) {
    const { patientId, practitionerId } = stored.data as CareTeamEvent['data'];
    if (stored.type === 'PractitionerUnassignedFromPatient') return undefined;
    // Assigned twice without a removal cannot happen (the decider refuses), but a fact is a fact:
    // keep the first assignment's details.
    if (row) return row;
    return {
      membership: `${patientId}:${practitionerId}`,
      patient_id: patientId,
      practitioner_id: practitionerId,
      assigned_at: stored.recordedAt,
      assigned_by_id: stored.metadata.actorId,
      assigned_by_role: stored.metadata.actorRole,
      position: stored.position,
    };
  },
};
