import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Actor } from '../http/actor.js';
import type { CareTeamRow } from '../../projections/care-team.js';

/**
 * Whose records a caller can reach at all, for every slice keyed by a patient id:
 * - a patient: their own record;
 * - a practitioner: the patients whose care team they are on. Only a verified practitioner can
 *   join a care team (care-team.ts), and nothing yet withdraws a verification, so membership
 *   alone decides, here and in the SQL twin alike;
 * - admins and auditors: every record.
 * What a role may *do* with a record it reaches is the route's access rule (`config.access.roles`):
 * no route that changes a patient's data lists the auditor, which is what makes auditors read-only.
 *
 * A record out of reach answers exactly as a missing one (404), so nobody learns that it exists.
 * The rule is written twice, side by side: `reachesPatient` for a record folded in memory (commands,
 * history), `withinReach` as a condition in SQL (lists and reads from read models), so that a list
 * can never hold, nor a count reveal, a patient out of reach. test/patients/reach.test.ts holds
 * both to one table.
 */

/** What reach depends on, and nothing more: whose record it is and who is on its care team. */
export interface ReachableRecord {
  patientId: string;
  /** Practitioner ids. */
  careTeam: readonly string[];
}

// Ids are UUIDs, which PostgreSQL compares whatever their case; so does this side.
const sameId = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * The patient's own-record rule, which the id alone settles: checked on the route parameter
 * before the body is parsed (auth/access.ts), so a patient learns nothing of another's record.
 */
export const isOwnRecord = (actor: Actor, patientId: string) => sameId(actor.patientId, patientId);

/** Whether `actor` reaches `record`; nobody reaches a record that is not registered (undefined). */
export function reachesPatient(actor: Actor, record: ReachableRecord | undefined): boolean {
  if (!record) return false;
  switch (actor.role) {
    case 'admin':
    case 'auditor':
      return true;
    case 'patient':
      return isOwnRecord(actor, record.patientId);
    case 'practitioner':
      return record.careTeam.some((member) => sameId(actor.practitionerId, member));
    default:
      return false;
  }
}

type WithCareTeam = { care_team: Pick<CareTeamRow, 'patient_id' | 'practitioner_id'> };

// The shape every caller's query has: the care team, and the table being filtered by its patient id.
type Filtered = WithCareTeam & { filtered: { patient_id: string } };

/**
 * The SQL twin of `reachesPatient`: a condition letting through only the rows of the patients
 * `actor` reaches, for any table with a patient-id column (`'allergies.patient_id'`). A row of
 * that table stands for a registered patient; the care team is read from the `care_team` read model.
 */
export function withinReach<Table extends string, Column extends string>(actor: Actor, patientIdColumn: `${Table}.${Column}`) {
  return <DB extends WithCareTeam & Record<Table, Record<Column, string>>>(
    eb: ExpressionBuilder<DB, Table & keyof DB>,
  ): Expression<SqlBool> => {
    // Kysely cannot type a query over tables named by type parameters; DB's constraint says the
    // caller's table has the column, so the builder is viewed as the one over `Filtered` it stands
    // for. The column keeps the name the caller gave.
    const filtered = eb as unknown as ExpressionBuilder<Filtered, 'filtered'>;
    const patientId = patientIdColumn as unknown as 'filtered.patient_id';
    switch (actor.role) {
      case 'admin':
      case 'auditor':
        return filtered.lit(true);
      case 'patient':
        return actor.patientId ? filtered(patientId, '=', actor.patientId) : filtered.lit(false);
      case 'practitioner': {
        const { practitionerId } = actor;
        if (!practitionerId) return filtered.lit(false);
        return filtered.exists(
          filtered
            .selectFrom('care_team')
            .select('care_team.practitioner_id')
            .where('care_team.practitioner_id', '=', practitionerId)
            .whereRef('care_team.patient_id', '=', patientId),
        );
      }
      default:
        return filtered.lit(false);
    }
  };
}

/** Contact details: the part of their own record a patient keeps up to date; the rest is clinical. */
export const PATIENT_EDITABLE_FIELDS = ['phone', 'email', 'address', 'emergencyContacts'] as const;
