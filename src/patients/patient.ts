import type { Demographics, PatientEvent } from './events.js';

// The patient as its stream tells it, apart from the decider so that the care-team rules and the
// reach rule, which the decider itself uses, can read it without importing the decider back.

export type PatientState =
  | { status: 'unregistered' }
  | {
      status: 'active' | 'inactive';
      patientId: string;
      mrn: string;
      demographics: Demographics;
      /** Practitioner ids, in the order they joined. */
      careTeam: readonly string[];
    };

export const initialState = (): PatientState => ({ status: 'unregistered' });

export function evolve(state: PatientState, event: PatientEvent): PatientState {
  switch (event.type) {
    case 'PatientRegistered': {
      const { patientId, mrn, ...demographics } = event.data;
      return { status: 'active', patientId, mrn, demographics, careTeam: [] };
    }
    case 'PatientDemographicsUpdated':
      return state.status === 'unregistered'
        ? state
        : { ...state, demographics: { ...state.demographics, ...event.data.changes } };
    case 'PatientDeactivated':
      return state.status === 'unregistered' ? state : { ...state, status: 'inactive' };
    case 'PatientReactivated':
      return state.status === 'unregistered' ? state : { ...state, status: 'active' };
    case 'PractitionerAssignedToPatient':
      return state.status === 'unregistered' || state.careTeam.includes(event.data.practitionerId)
        ? state
        : { ...state, careTeam: [...state.careTeam, event.data.practitionerId] };
    case 'PractitionerUnassignedFromPatient':
      return state.status === 'unregistered'
        ? state
        : { ...state, careTeam: state.careTeam.filter((id) => id !== event.data.practitionerId) };
  }
}
