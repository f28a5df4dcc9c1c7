import type { Actor } from '../http/actor.js';
import type { PatientState } from './patient.js';

/**
 * Whose records a caller can reach at all. Patients: their own. Practitioners: the patients whose
 * care team they are on; only verified practitioners can be assigned, so a pending one reaches
 * none. Admins and auditors: every record. What a role may *do* with a record it reaches is the
 * route's access rule (`config.access.roles`).
 *
 * A record out of reach answers exactly as a missing one (404), so nobody learns that it exists.
 * Its SQL twin, for lists and reads from projections, is `withinReach` in queries.ts; the access
 * matrix test (test/auth/access-matrix.test.ts) holds both to one table.
 */
export function reachesPatient(actor: Actor, state: PatientState): boolean {
  if (state.status === 'unregistered') return false;
  switch (actor.role) {
    case 'admin':
    case 'auditor':
      return true;
    case 'patient':
      return actor.patientId === state.patientId;
    case 'practitioner':
      return actor.practitionerId !== undefined && state.careTeam.includes(actor.practitionerId);
    default:
      return false;
  }
}

/** Contact details: the part of their own record a patient keeps up to date; the rest is clinical. */
export const PATIENT_EDITABLE_FIELDS = ['phone', 'email', 'address', 'emergencyContacts'] as const;
