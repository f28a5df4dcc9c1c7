import { sql, type Kysely } from 'kysely';

// Where each projection has got to, as a (transaction id, position) pair: the order in which
// events become final, which is not always the order of their positions.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table projection_checkpoints (
      name                 text primary key,
      last_transaction_id  xid8 not null default '0',
      last_position        bigint not null default 0,
      updated_at           timestamptz not null default now()
    )`.execute(db);
}
