import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database } from '../db.js';
import type { Actor } from '../http/actor.js';

/**
 * The SQL twin of `reachesPatient` (reach.ts), for reads from projections: a condition on
 * `patient_summary` that lets through only the rows this caller reaches. The check lives in the
 * query itself, so a list can never hold, nor a count reveal, a patient out of reach.
 */
export function withinReach(actor: Actor) {
  return (eb: ExpressionBuilder<Database, 'patient_summary'>): Expression<SqlBool> => {
    switch (actor.role) {
      case 'admin':
      case 'auditor':
        return sql<boolean>`true`;
      case 'patient':
        return actor.patientId ? eb('patient_summary.patient_id', '=', actor.patientId) : sql<boolean>`false`;
      case 'practitioner': {
        const { practitionerId } = actor;
        if (!practitionerId) return sql<boolean>`false`;
        return eb.exists(
          eb
            .selectFrom('care_team')
            .select('care_team.membership')
            .whereRef('care_team.patient_id', '=', 'patient_summary.patient_id')
            .where('care_team.practitioner_id', '=', practitionerId),
        );
      }
      default:
        return sql<boolean>`false`;
    }
  };
}
