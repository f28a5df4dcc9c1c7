import { sql, type Kysely } from 'kysely';

// A command on an existing record reads its stream, then appends: two round trips. Under load the
// store's reads and appends that wait for a free lane now leave together in one call of
// append_and_read, so one wake-up of the database and of the API serves both kinds.
//
// streams_to_fold is the one definition of what a command folds (the stream's row with its
// snapshot when saved under the name asked for, then the events after that snapshot), for a read
// alone and for a shared round trip alike. PL/pgSQL, not SQL: a PL/pgSQL function keeps its plans
// for the session, where a SQL function that is not inlined is planned again on every call. And a
// generic plan, always: for a custom plan the planner knows how many ids the array holds, so the
// generic one (estimated for ten) never looks as cheap and every call was planned anew, measured at
// ~15 % of the database's CPU for a read-then-append (the generic plan uses the same two indexes).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function streams_to_fold(p_stream_ids uuid[], p_snapshot_names text[])
    returns table (stream_id uuid, of text, part integer, stream_type text, stream_version integer,
                   "position" bigint, event_type text, data jsonb)
    language plpgsql stable set plan_cache_mode = force_generic_plan as $$
    #variable_conflict use_column
    begin
      return query
      with requested (stream_id, of) as (select * from unnest(p_stream_ids, p_snapshot_names)),
      stream as (
        select s.stream_id, r.of, s.stream_type, s.version,
               case when s.snapshot->>'of' = r.of then s.snapshot end as snapshot
        from streams s join requested r on s.stream_id = r.stream_id
      )
      select stream.stream_id, stream.of, 0, stream.stream_type, stream.version,
             null::bigint, null::text, stream.snapshot - 'of'
      from stream
      union all
      select stream.stream_id, stream.of, e.stream_version, e.stream_type, e.stream_version,
             e.position, e.event_type, e.data
      from stream join events e on e.stream_id = stream.stream_id
       and e.stream_version > coalesce((stream.snapshot->>'version')::integer, 0)
      order by 1, 2, 3;
    end $$`.execute(db);

  // The appends first, each in its own subtransaction (append_events_batch), then the reads, which
  // see them: whatever the reads return commits with the appends or not at all. An append's row
  // carries its ordinal, a read's rows carry none.
  await sql`
    create function append_and_read(p_appends jsonb, p_stream_ids uuid[], p_snapshot_names text[])
    returns table (ordinal integer, last_position bigint, new_version integer,
                   error_code text, error_message text, error_detail text,
                   stream_id uuid, of text, part integer, stream_type text, stream_version integer,
                   "position" bigint, event_type text, data jsonb)
    language plpgsql as $$
    begin
      if jsonb_array_length(p_appends) > 0 then
        return query
        select b.ordinal, b.last_position, b.new_version, b.error_code, b.error_message, b.error_detail,
               null::uuid, null::text, null::integer, null::text, null::integer, null::bigint, null::text, null::jsonb
        from append_events_batch(p_appends) b;
      end if;
      if cardinality(p_stream_ids) > 0 then
        return query
        select null::integer, null::bigint, null::integer, null::text, null::text, null::text,
               f.stream_id, f.of, f.part, f.stream_type, f.stream_version, f.position, f.event_type, f.data
        from streams_to_fold(p_stream_ids, p_snapshot_names) f;
      end if;
    end $$`.execute(db);
}
