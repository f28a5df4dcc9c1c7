import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table account_directory (
      account_id       uuid primary key,
      role             text,
      email            text not null,
      email_verified   boolean not null,
      phone            text,
      username         text,
      first_name       text not null,
      last_name        text not null,
      active           boolean not null,
      patient_id       uuid,
      practitioner_id  uuid,
      version          integer not null,
      position         bigint not null,
      registered_at    timestamptz not null,
      updated_at       timestamptz not null
    )`.execute(db);
  // Account ids are UUIDv7, so their order is the order of registration: the list's keyset.
  await sql`create index account_directory_by_role on account_directory (role, account_id)`.execute(db);
  await sql`insert into projection_checkpoints (name) values ('account_directory')`.execute(db);
}
