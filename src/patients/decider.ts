import { isDeepStrictEqual } from 'node:util';
import { rejectConflict, rejectInvalid, rejectNotFound, type Decider, type Rejection } from '../event-store/decider.js';
import { assignPractitioner, unassignPractitioner } from './care-team.js';
import type { PatientCommand, RegisterPatient, UpdatePatientDemographics } from './commands.js';
import {
  DEMOGRAPHIC_FIELDS,
  PATIENT_EVENT_VERSIONS,
  PATIENT_STREAM,
  REQUIRED_FIELDS,
  type Demographics,
  type PatientEvent,
} from './events.js';
import { evolve, initialState, type PatientState } from './patient.js';
import { reachesPatient } from './reach.js';

export const EARLIEST_BIRTH_DATE = '1900-01-01';

const trimmed = (value: string) => value.trim().replace(/\s+/g, ' ');

/** Trims what people type, and checks the rules a schema cannot: names not blank, birth date plausible. */
function normalize(changes: Partial<Demographics>, today: string): Partial<Demographics> | Rejection {
  const result: Partial<Demographics> = { ...changes };
  for (const field of ['firstName', 'lastName'] as const) {
    const value = changes[field];
    if (value === undefined) continue;
    result[field] = trimmed(value);
    if (result[field] === '') return rejectInvalid(field, 'must not be blank');
  }
  if (changes.nationality) result.nationality = trimmed(changes.nationality);
  if (changes.email) result.email = changes.email.trim();
  if (changes.address) {
    const { line, city, state, postalCode, country } = changes.address;
    result.address = {
      line: trimmed(line),
      city: trimmed(city),
      state: state === null ? null : trimmed(state),
      postalCode: postalCode === null ? null : trimmed(postalCode),
      country: country.toUpperCase(),
    };
    if (result.address.line === '') return rejectInvalid('address.line', 'must not be blank');
    if (result.address.city === '') return rejectInvalid('address.city', 'must not be blank');
  }
  if (changes.emergencyContacts) {
    result.emergencyContacts = changes.emergencyContacts.map((contact) => ({
      name: trimmed(contact.name),
      relationship: trimmed(contact.relationship),
      phone: contact.phone,
    }));
    const blank = result.emergencyContacts.findIndex((contact) => contact.name === '' || contact.relationship === '');
    if (blank >= 0) return rejectInvalid(`emergencyContacts.${blank}`, 'name and relationship must not be blank');
  }
  if (changes.dateOfBirth !== undefined) {
    if (changes.dateOfBirth < EARLIEST_BIRTH_DATE) {
      return rejectInvalid('dateOfBirth', `must not be before ${EARLIEST_BIRTH_DATE}`);
    }
    if (changes.dateOfBirth > today) return rejectInvalid('dateOfBirth', 'must not be in the future');
  }
  return result;
}

function register(command: RegisterPatient, state: PatientState): PatientEvent[] | Rejection {
  if (state.status !== 'unregistered') return rejectConflict(`Patient ${command.patientId} is already registered.`);
  const demographics = normalize(command.demographics, command.today);
  if ('kind' in demographics) return demographics;
  const { patientId, registeringPractitionerId: practitionerId } = command;
  return [
    { type: 'PatientRegistered', data: { patientId, mrn: command.mrn.trim(), ...(demographics as Demographics) } },
    ...(practitionerId === undefined
      ? []
      : [{ type: 'PractitionerAssignedToPatient' as const, data: { patientId, practitionerId } }]),
  ];
}

function update(command: UpdatePatientDemographics, state: PatientState): PatientEvent[] | Rejection {
  if (state.status === 'unregistered') return rejectNotFound(`No patient with id ${command.patientId}.`);
  if (state.status === 'inactive') {
    return rejectConflict('The patient record is inactive; reactivate it before changing it.');
  }
  for (const field of REQUIRED_FIELDS) {
    if (command.changes[field] === null) return rejectInvalid(field, 'is required and cannot be cleared');
  }
  const normalized = normalize(command.changes, command.today);
  if ('kind' in normalized) return normalized;
  const changes: Partial<Demographics> = {};
  for (const field of DEMOGRAPHIC_FIELDS) {
    const value = normalized[field];
    if (value !== undefined && !isDeepStrictEqual(value, state.demographics[field])) {
      Object.assign(changes, { [field]: value });
    }
  }
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'PatientDemographicsUpdated', data: { patientId: command.patientId, changes } }];
}

export function decide(command: PatientCommand, state: PatientState): PatientEvent[] | Rejection {
  switch (command.type) {
    case 'RegisterPatient':
      return register(command, state);
    case 'UpdatePatientDemographics':
      return update(command, state);
    case 'DeactivatePatient':
    case 'ReactivatePatient': {
      if (state.status === 'unregistered') return rejectNotFound(`No patient with id ${command.patientId}.`);
      const deactivating = command.type === 'DeactivatePatient';
      if ((state.status === 'inactive') === deactivating) {
        return rejectConflict(`The patient record is already ${state.status}.`);
      }
      const reason = trimmed(command.reason);
      if (reason === '') return rejectInvalid('reason', 'must not be blank');
      const data = { patientId: command.patientId, reason };
      return [deactivating ? { type: 'PatientDeactivated', data } : { type: 'PatientReactivated', data }];
    }
    case 'AssignPractitioner':
      return assignPractitioner(command, state);
    case 'UnassignPractitioner':
      return unassignPractitioner(command, state);
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const patientDecider: Decider<PatientCommand, PatientEvent, PatientState> = {
  streamType: PATIENT_STREAM,
  schemaVersions: PATIENT_EVENT_VERSIONS,
  initialState,
  evolve,
  decide,
  reaches: (actor, state) => reachesPatient(actor, state.status === 'unregistered' ? undefined : state),
  snapshotName: 'patient-v1',
  uniqueClaims: (events) => ({
    claims: events.flatMap((event) =>
      event.type === 'PatientRegistered' ? [{ scope: 'mrn', value: event.data.mrn.toUpperCase() }] : [],
    ),
    releases: [],
  }),
};
