import { v4 as uuid } from 'uuid';
import type { EventMetadata } from '../../src/event-store/types.js';
import type { Demographics, PatientEvent } from '../../src/patients/events.js';
import type { ProjectedEvent } from '../../projections/projection.js';

/** The patient of pure specs; HTTP tests use the ids the API hands out. */
export const PATIENT_ID = '0192f0c4-7a6b-7d3e-9c1a-2b3c4d5e6f70';

/** Ada, with every fact a registration may record; override what a spec is about. */
export const adaDemographics = (overrides: Partial<Demographics> = {}): Demographics => ({
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-02-03',
  sex: 'female',
  phone: '+2348012345678',
  email: 'ada@example.org',
  address: { line: '1 Marina Road', city: 'Lagos', state: 'Lagos', postalCode: '101001', country: 'NG' },
  bloodGroup: 'O+',
  genotype: 'AA',
  nationality: 'Nigerian',
  emergencyContacts: [{ name: 'Byron Lovelace', relationship: 'brother', phone: '+2348098765432' }],
  ...overrides,
});

/** Ada with only what registration requires: the optional facts unknown. */
export const bareDemographics = (): Demographics =>
  adaDemographics({ phone: null, email: null, address: null, bloodGroup: null, genotype: null, nationality: null, emergencyContacts: [] });

/** A POST /patients body with the required fields only and an MRN no other test uses. */
export const registrationBody = (overrides: Record<string, unknown> = {}) => ({
  mrn: `MRN-${uuid().slice(0, 8)}`,
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-02-03',
  sex: 'female',
  ...overrides,
});

/** A POST /patients body with every field. */
export const fullRegistrationBody = () => {
  const { firstName, lastName, dateOfBirth, sex, ...optional } = adaDemographics();
  return { ...registrationBody({ firstName, lastName, dateOfBirth, sex }), ...optional };
};

/**
 * One patient's history as the store hands it over: versions count from 1, positions from 100 in
 * steps of 7, one transaction and one day (from 2026-01-01 09:30 UTC) per event.
 */
export function storedHistory(
  events: PatientEvent[],
  metadata: EventMetadata = { actorId: 'someone', actorRole: 'admin' },
): ProjectedEvent<PatientEvent, true>[] {
  return events.map((event, index) => ({
    ...event,
    position: 100 + index * 7,
    transactionId: String(5000 + index),
    streamId: PATIENT_ID,
    streamType: 'patient',
    streamVersion: index + 1,
    eventId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    schemaVersion: 1,
    metadata,
    recordedAt: new Date(Date.UTC(2026, 0, 1 + index, 9, 30)),
  }));
}
