import { sql, type Kysely } from 'kysely';

// The care_team projection: who is on which patient's care team. Lists of patients join it, so a
// practitioner's list holds only their own patients, decided inside the query.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table care_team (
      membership        text primary key,
      patient_id        uuid not null,
      practitioner_id   uuid not null,
      assigned_at       timestamptz not null,
      assigned_by_id    text,
      assigned_by_role  text not null,
      position          bigint not null
    )`.execute(db);
  // A practitioner's patients (the list's join), and a patient's team.
  await sql`create unique index care_team_by_practitioner on care_team (practitioner_id, patient_id)`.execute(db);
  await sql`create index care_team_by_patient on care_team (patient_id)`.execute(db);
  await sql`insert into projection_checkpoints (name) values ('care_team')`.execute(db);
}
