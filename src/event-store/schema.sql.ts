import { sql, type Kysely } from 'kysely';

// The current text of every PL/pgSQL function of the event store, the one place to read it. The
// released migrations that first wrote them (0001, 0011, 0013-0015) stay frozen, so their copies
// and comments tell only what was true when each was released.
//
// To change a function: change it here, and add a migration that calls installEventStoreFunctions
// and records the digests of what it installs, as 0017 does (the test prints the new ones).
// test/event-store/schema-sql.test.ts fails until both are done, and fails if the migrated
// database holds any function this file does not define.
//
// Migration 0017 imports this text rather than keeping a copy, so a fresh database gets the
// current text there already and later migrations install it again. Hence every text here must
// create on the schema as it stands at 0017: a PL/pgSQL body may name tables and columns added
// later (it is resolved only when run), argument and result types may not.

// Raises insufficient_privilege for any UPDATE, DELETE or TRUNCATE of events: history is never
// rewritten, not by a bug nor by a careless script. The triggers that call it
// (events_no_update_or_delete, events_no_truncate) are migration 0001's; only a superuser who
// drops them on purpose can rewrite history, and that leaves its own trace in the DDL log.
const events_are_append_only = `
create or replace function events_are_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'events are append-only: % is not allowed', tg_op
    using errcode = 'insufficient_privilege';
end $$`;

// One append to one stream, in the caller's (usually implicit) transaction: all its events or
// none. Called by src/event-store/append.ts, which maps the refusals to the domain's errors.
//   p_stream_id, p_stream_type  the stream; its type must match the stream's row
//   p_expected_version          the version the decision was made on; 0 for a new stream
//   p_events                    [{eventId, type, schemaVersion, data, metadata, recordedAt}], at least one
//   p_claims, p_releases        [{scope, value}]: values to hold unique across streams for this
//                               stream (a patient's MRN), and values it no longer holds
//   p_idempotency               null, or {scope, key, requestHash, statusCode, response}: the
//                               response recorded for the Idempotency-Key, version and position added
//   p_relies_on                 [{streamId, version}]: other streams the decision was based on, at
//                               the versions read (0: absent)
//   p_snapshot                  null, or {of, state}: the stream's state once these events are
//                               folded, saved on its row under the decider's snapshot name `of`
// An empty p_events is refused with invalid_parameter_value; then, in this order, each refusal
// appending nothing:
//   PAMS3  the idempotency key is already recorded (first, so that a concurrent retry of the same
//          request waits on the key's row, then replays the response)
//   PAMS4  a relied-on stream has moved; detail: its id
//   PAMS1  the stream is not at p_expected_version, or not of p_stream_type (for 0: it exists)
//   PAMS2  a claimed value is held by another stream; detail: the claim's scope
// Returns the position of the last event appended and the stream's new version. It sends no
// NOTIFY: a notifying transaction takes the cluster-wide notification lock at commit, so every
// command's commit would wait on every other's; the store wakes the projection workers after
// commit instead (src/event-store/commit-signal.ts).
const append_events = `
create or replace function append_events(
  p_stream_id uuid,
  p_stream_type text,
  p_expected_version integer,
  p_events jsonb,
  p_claims jsonb,
  p_releases jsonb,
  p_idempotency jsonb,
  p_relies_on jsonb,
  p_snapshot jsonb
) returns table (last_position bigint, new_version integer)
language plpgsql as $$
declare
  v_count integer := jsonb_array_length(p_events);
  v_new_version integer := p_expected_version + v_count;
  v_last_position bigint;
  v_claimed integer;
  v_taken record;
  v_changed text;
begin
  if v_count = 0 then
    raise exception 'append_events needs at least one event' using errcode = 'invalid_parameter_value';
  end if;

  if p_idempotency is not null then
    insert into idempotency_keys (scope, key, request_hash, status_code, response)
    values (p_idempotency->>'scope', p_idempotency->>'key', p_idempotency->>'requestHash',
            (p_idempotency->>'statusCode')::integer, '{}'::jsonb)
    on conflict do nothing;
    if not found then
      raise exception 'idempotency key already used' using errcode = 'PAMS3';
    end if;
  end if;

  if jsonb_array_length(p_relies_on) > 0 then
    select r->>'streamId' into v_changed
    from jsonb_array_elements(p_relies_on) r
    left join streams s on s.stream_id = (r->>'streamId')::uuid
    where coalesce(s.version, 0) <> (r->>'version')::integer
    limit 1;
    if v_changed is not null then
      raise exception 'stream % changed since it was read', v_changed using errcode = 'PAMS4', detail = v_changed;
    end if;
  end if;

  if p_expected_version = 0 then
    insert into streams (stream_id, stream_type, version)
    values (p_stream_id, p_stream_type, v_new_version)
    on conflict do nothing;
  else
    update streams set version = v_new_version, updated_at = now()
    where stream_id = p_stream_id and stream_type = p_stream_type and version = p_expected_version;
  end if;
  if not found then
    raise exception 'stream % is not at version %', p_stream_id, p_expected_version using errcode = 'PAMS1';
  end if;

  if jsonb_array_length(p_claims) > 0 then
    insert into unique_claims (scope, value, stream_id)
    select c->>'scope', c->>'value', p_stream_id from jsonb_array_elements(p_claims) c
    on conflict (scope, value) do update set stream_id = excluded.stream_id
      where unique_claims.stream_id = excluded.stream_id;
    get diagnostics v_claimed = row_count;
    if v_claimed < jsonb_array_length(p_claims) then
      select u.scope, u.value into v_taken from unique_claims u
      join jsonb_array_elements(p_claims) c on u.scope = c->>'scope' and u.value = c->>'value'
      where u.stream_id <> p_stream_id limit 1;
      raise exception 'unique value already claimed' using errcode = 'PAMS2', detail = v_taken.scope;
    end if;
  end if;

  if jsonb_array_length(p_releases) > 0 then
    delete from unique_claims u using jsonb_array_elements(p_releases) r
    where u.scope = r->>'scope' and u.value = r->>'value' and u.stream_id = p_stream_id;
  end if;

  with appended as (
    insert into events (stream_id, stream_type, stream_version, event_id, event_type,
                        schema_version, data, metadata, recorded_at)
    select p_stream_id, p_stream_type, p_expected_version + e.ordinality::integer,
           (e.value->>'eventId')::uuid, e.value->>'type', (e.value->>'schemaVersion')::integer,
           e.value->'data', e.value->'metadata', (e.value->>'recordedAt')::timestamptz
    from jsonb_array_elements(p_events) with ordinality e
    order by e.ordinality
    returning position
  )
  select max(position) into v_last_position from appended;

  -- A second (HOT) update of the row this transaction already holds: only now is the position
  -- of the last event known. Snapshots come every few appends, not with each.
  if p_snapshot is not null then
    update streams
    set snapshot = jsonb_build_object('of', p_snapshot->>'of', 'version', v_new_version,
                                      'position', v_last_position, 'state', p_snapshot->'state')
    where stream_id = p_stream_id;
  end if;

  if p_idempotency is not null then
    update idempotency_keys
    set response = (p_idempotency->'response')
      || jsonb_build_object('version', v_new_version, 'position', v_last_position)
    where scope = p_idempotency->>'scope' and key = p_idempotency->>'key';
  end if;

  return query select v_last_position, v_new_version;
end $$`;

// Group commit: the appends of concurrent commands in one round trip and one commit. p_appends is
// an array of append_events' arguments by name ({streamId, streamType, expectedVersion, events,
// claims, releases, idempotency, reliesOn, snapshot}, src/event-store/append.ts groupedAppend).
// Each runs in its own subtransaction, so one that is refused changes nothing and is reported on
// its own row while the others commit: one row per append, `ordinal` its place in p_appends
// (from 1), then either its last_position and new_version or the SQLSTATE, message and detail of
// its error (PAMS1..4 as append_events raises them). Every error is caught and returned except a
// cancel: OTHERS does not match query_canceled, so a statement timeout still ends the batch.
const append_events_batch = `
create or replace function append_events_batch(p_appends jsonb)
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
        v_append->'reliesOn',
        nullif(v_append->'snapshot', 'null'::jsonb)
      ) appended;
    exception when others then
      get stacked diagnostics error_code = returned_sqlstate, error_message = message_text,
                              error_detail = pg_exception_detail;
    end;
    return next;
  end loop;
end $$`;

// What a command folds, for each stream asked for (src/event-store/fold-reads.ts): p_stream_ids
// and p_snapshot_names are read pairwise, the name being the decider's snapshot name (null: none).
// Per stream, its row first (`part` 0: its type and version, and as `data` its snapshot without
// `of` when saved under the name asked for, else null), then its events after that snapshot
// (`part` = their version); a stream that does not exist has no rows. Ordered by stream, name,
// part. One statement, so the row and the events are read at one moment.
// PL/pgSQL, not SQL: a PL/pgSQL function keeps its plans for the session, where a SQL function
// that is not inlined is planned again on every call. And a generic plan, always: for a custom
// plan the planner knows how many ids the array holds, so the generic one (estimated for ten)
// never looks as cheap, and every call would be planned anew for the same two indexes.
const streams_to_fold = `
create or replace function streams_to_fold(p_stream_ids uuid[], p_snapshot_names text[])
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
end $$`;

// The store's appends and reads that waited for a free lane, in one round trip
// (src/event-store/round-trips.ts): first the appends, as append_events_batch takes and reports
// them, then the reads, as streams_to_fold takes and returns them, which see the appends; whatever
// the reads return commits with the appends or not at all. An append's row carries its ordinal
// and null read columns, a read's row a null ordinal and null append columns.
const append_and_read = `
create or replace function append_and_read(p_appends jsonb, p_stream_ids uuid[], p_snapshot_names text[])
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
end $$`;

/** Each function's CREATE OR REPLACE statement by the function's name, in an order they can be created in. */
export const eventStoreFunctions = {
  events_are_append_only,
  append_events,
  append_events_batch,
  streams_to_fold,
  append_and_read,
} as const;

/**
 * Installs every function above: what a migration that changes any of them runs. Each is dropped
 * and created anew, whatever its arguments and result were: CREATE OR REPLACE cannot change a
 * result, and with other arguments makes a second function beside the old one. So privileges
 * granted on one by hand go with it. The trigger function is replaced in place (its triggers
 * depend on it); it takes no arguments and returns a trigger, whatever its text.
 */
export async function installEventStoreFunctions(db: Kysely<any>): Promise<void> {
  const installed = await sql<{ signature: string }>`
    select p.oid::regprocedure::text as signature from pg_proc p
    where p.pronamespace = current_schema()::regnamespace and p.proname = any(${Object.keys(eventStoreFunctions)})
      and p.prorettype <> 'trigger'::regtype`.execute(db);
  for (const { signature } of installed.rows) await sql.raw(`drop function ${signature}`).execute(db);
  for (const definition of Object.values(eventStoreFunctions)) await sql.raw(definition).execute(db);
}
