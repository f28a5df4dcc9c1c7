import type { Demographics } from './events.js';

export interface RegisterPatient {
  type: 'RegisterPatient';
  patientId: string;
  mrn: string;
  demographics: Demographics;
  today: string;
}

export interface UpdatePatientDemographics {
  type: 'UpdatePatientDemographics';
  patientId: string;
  /** Only the fields the caller sent; `null` clears an optional field. */
  changes: Partial<Demographics>;
  today: string;
}

export interface DeactivatePatient {
  type: 'DeactivatePatient';
  patientId: string;
  reason: string;
}

export interface ReactivatePatient {
  type: 'ReactivatePatient';
  patientId: string;
  reason: string;
}

export type PatientCommand = RegisterPatient | UpdatePatientDemographics | DeactivatePatient | ReactivatePatient;
