import { sql, type Kysely } from 'kysely';

// Rows that are updated in place far more often than their indexed columns change: a stream's
// version on every append, a patient's summary on every correction. With free room in the page,
// PostgreSQL updates such a row without touching its indexes (a HOT update); with full pages every
// update writes a new entry in each index (six on patient_summary). Takes effect for pages
// written from now on; a rebuild rewrites patient_summary's.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table streams set (fillfactor = 80)`.execute(db);
  await sql`alter table patient_summary set (fillfactor = 80)`.execute(db);
  await sql`alter table projection_checkpoints set (fillfactor = 50)`.execute(db);
}
