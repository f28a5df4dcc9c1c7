import type { Demographics } from './events.js';
import type { PractitionerStanding } from './practitioner-standing.js';

export interface RegisterPatient {
  type: 'RegisterPatient';
  patientId: string;
  mrn: string;
  demographics: Demographics;
  today: string;
  /** A practitioner who registers a patient joins the care team at once, or could not reach the record. */
  registeringPractitionerId?: string;
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

export interface AssignPractitioner {
  type: 'AssignPractitioner';
  patientId: string;
  practitionerId: string;
  /** Read from the practitioner's own stream before deciding: only a verified practitioner may join. */
  practitionerStanding: PractitionerStanding;
}

export interface UnassignPractitioner {
  type: 'UnassignPractitioner';
  patientId: string;
  practitionerId: string;
}

export type PatientCommand =
  | RegisterPatient
  | UpdatePatientDemographics
  | DeactivatePatient
  | ReactivatePatient
  | AssignPractitioner
  | UnassignPractitioner;
