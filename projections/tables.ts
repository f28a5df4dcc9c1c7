import type { Generated } from 'kysely';
import type { AccountDirectoryRow } from './account-directory.js';
import type { CareTeamRow } from './care-team.js';
import type { PatientSummaryRow } from './patient-summary.js';

export interface ProjectionCheckpointsTable {
  name: string;
  last_transaction_id: string;
  last_position: number;
  updated_at: Generated<Date>;
}

export interface ProjectionTables {
  projection_checkpoints: ProjectionCheckpointsTable;
  patient_summary: PatientSummaryRow & {
    last_name_key: Generated<string>;
    first_name_key: Generated<string>;
    mrn_key: Generated<string>;
  };
  care_team: CareTeamRow;
  account_directory: AccountDirectoryRow;
}
