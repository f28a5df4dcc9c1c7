import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table patient_summary (
      patient_id          uuid primary key,
      mrn                 text not null,
      first_name          text not null,
      last_name           text not null,
      date_of_birth       date not null,
      sex                 text not null,
      phone               text,
      email               text,
      address             jsonb,
      blood_group         text,
      genotype            text,
      nationality         text,
      emergency_contacts  jsonb not null default '[]',
      active              boolean not null,
      status_reason       text,
      version             integer not null,
      position            bigint not null,
      registered_at       timestamptz not null,
      updated_at          timestamptz not null,
      last_name_key       text generated always as (lower(last_name)) stored,
      first_name_key      text generated always as (lower(first_name)) stored,
      mrn_key             text generated always as (upper(mrn)) stored
    )`.execute(db);
  // The list's stable order, and the keyset it pages by.
  await sql`create index patient_summary_by_name on patient_summary (last_name_key, first_name_key, patient_id)`.execute(db);
  // Prefix search on either name, and exact MRN lookup.
  await sql`create index patient_summary_last_name_prefix on patient_summary (last_name_key text_pattern_ops)`.execute(db);
  await sql`create index patient_summary_first_name_prefix on patient_summary (first_name_key text_pattern_ops)`.execute(db);
  await sql`create index patient_summary_mrn on patient_summary (mrn_key)`.execute(db);
  await sql`create index patient_summary_by_birth_date on patient_summary (date_of_birth)`.execute(db);
  await sql`insert into projection_checkpoints (name) values ('patient_summary')`.execute(db);
}
