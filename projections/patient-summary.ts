import type { Address, Demographics, EmergencyContact, PatientEvent } from '../src/patients/events.js';
import { eventTypes, type ProjectedEvent, type Projection } from './projection.js';

export interface PatientSummaryRow {
  patient_id: string;
  mrn: string;
  first_name: string;
  last_name: string;
  date_of_birth: string;
  sex: string;
  phone: string | null;
  email: string | null;
  address: Address | null;
  blood_group: string | null;
  genotype: string | null;
  nationality: string | null;
  emergency_contacts: EmergencyContact[];
  active: boolean;
  status_reason: string | null;
  version: number;
  position: number;
  registered_at: Date;
  updated_at: Date;
}

const COLUMN_OF: { [Field in keyof Demographics]: keyof PatientSummaryRow } = {
  firstName: 'first_name',
  lastName: 'last_name',
  dateOfBirth: 'date_of_birth',
  sex: 'sex',
  phone: 'phone',
  email: 'email',
  address: 'address',
  bloodGroup: 'blood_group',
  genotype: 'genotype',
  nationality: 'nationality',
  emergencyContacts: 'emergency_contacts',
};

/** `row` with the demographics' columns set: one new object per event, for rebuilds of millions. */
function withDemographics(row: Omit<PatientSummaryRow, (typeof COLUMN_OF)[keyof Demographics]>, changes: Partial<Demographics>): PatientSummaryRow {
  const next: Record<string, unknown> = { ...row };
  for (const field in changes) next[COLUMN_OF[field as keyof Demographics]] = changes[field as keyof Demographics];
  return next as unknown as PatientSummaryRow;
}

function fold(row: PatientSummaryRow | undefined, event: ProjectedEvent<PatientEvent>): PatientSummaryRow | undefined {
  switch (event.type) {
    case 'PatientRegistered': {
      const { patientId, mrn, ...demographics } = event.data;
      return withDemographics(
        {
          patient_id: patientId,
          mrn,
          active: true,
          status_reason: null,
          version: 0,
          position: 0,
          registered_at: new Date(0),
          updated_at: new Date(0),
        },
        demographics,
      );
    }
    case 'PatientDemographicsUpdated':
      return row && withDemographics(row, event.data.changes);
    case 'PatientDeactivated':
      return row && { ...row, active: false, status_reason: event.data.reason };
    case 'PatientReactivated':
      return row && { ...row, active: true, status_reason: event.data.reason };
    // Nothing to show, but the row's version must follow the stream: it is the ETag for If-Match.
    case 'PractitionerAssignedToPatient':
    case 'PractitionerUnassignedFromPatient':
      return row;
    default: {
      const unhandled: never = event;
      throw new Error(`Unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}

export const patientSummary: Projection<PatientSummaryRow, PatientEvent> = {
  name: 'patient_summary',
  // Every event of the stream, so that the row's version, the ETag for If-Match, is the stream's.
  eventTypes: eventTypes<PatientEvent>({
    PatientRegistered: true,
    PatientDemographicsUpdated: true,
    PatientDeactivated: true,
    PatientReactivated: true,
    PractitionerAssignedToPatient: true,
    PractitionerUnassignedFromPatient: true,
  }),
  columns: [
    'patient_id', 'mrn', 'first_name', 'last_name', 'date_of_birth', 'sex', 'phone', 'email', 'address',
    'blood_group', 'genotype', 'nationality', 'emergency_contacts', 'active', 'status_reason', 'version',
    'position', 'registered_at', 'updated_at',
  ],
  key: 'patient_id',
  keyOf: (event) => event.streamId,
  apply(row, stored) {
    const next = fold(row, stored);
    if (!next) return undefined;
    return {
      ...next,
      version: stored.streamVersion,
      position: stored.position,
      registered_at: stored.type === 'PatientRegistered' ? stored.recordedAt : next.registered_at,
      updated_at: stored.recordedAt,
    };
  },
};
