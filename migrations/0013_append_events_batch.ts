import { sql, type Kysely } from 'kysely';

// Group commit: appends from concurrent commands that arrive while the store's appends are all in
// flight travel together, one round trip and one commit for all of them. Each runs append_events in
// its own subtransaction, so one that fails (a stale version, a taken MRN) changes nothing and is
// reported on its own row while the others commit. A subtransaction's error is caught and returned,
// except a cancel: OTHERS does not match query_canceled, so a statement timeout still ends the batch.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function append_events_batch(p_appends jsonb)
    returns table (ordinal integer, last_position bigint, new_version integer,
                   error_code text, error_message text, error_detail text)
    language plpgsql as $$
    #variable_conflict use_column
    declare
      v_append jsonb;
      v_ordinal bigint;
    begin
      for v_append, v_ordinal in
        select a.value, a.ordinality from jsonb_array_elements(p_appends) with ordinality a
      loop
        ordinal := v_ordinal;
        last_position := null;
        new_version := null;
        error_code := null;
        error_message := null;
        error_detail := null;
        begin
          select appended.last_position, appended.new_version into last_position, new_version
          from append_events(
            (v_append->>'streamId')::uuid,
            v_append->>'streamType',
            (v_append->>'expectedVersion')::integer,
            v_append->'events',
            v_append->'claims',
            v_append->'releases',
            nullif(v_append->'idempotency', 'null'::jsonb),
            v_append->'reliesOn'
          ) appended;
        exception when others then
          get stacked diagnostics error_code = returned_sqlstate, error_message = message_text,
                                  error_detail = pg_exception_detail;
        end;
        return next;
      end loop;
    end $$`.execute(db);
}
