import { sql, type Kysely } from 'kysely';

// Stream snapshots. A command on a long-lived record (a patient's chart grows for decades) should
// not read and fold its whole history, each event on its own page of a large table. Every few
// appends the API sends the state its decider folded along with the events, and append_events
// keeps it on the stream's row with the version and position it was folded up to; a command then
// reads that row and only the events after it (src/event-store/fold-reads.ts).
//
// A snapshot is a cache of what evolve computes, never a fact: the events stay the only record,
// a snapshot made under another decider or state version (`of`) is ignored, and setting every
// snapshot to null changes nothing but speed.
//
// append_events and append_events_batch are restated for the new argument p_snapshot; their
// checks are those of 0011 and 0013.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table streams add column snapshot jsonb`.execute(db);
  await sql`drop function append_events(uuid, text, integer, jsonb, jsonb, jsonb, jsonb, jsonb)`.execute(db);
  await sql`
    create function append_events(
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

      -- First, so that a concurrent retry of the same request waits here and then replays.
      if p_idempotency is not null then
        insert into idempotency_keys (scope, key, request_hash, status_code, response)
        values (p_idempotency->>'scope', p_idempotency->>'key', p_idempotency->>'requestHash',
                (p_idempotency->>'statusCode')::integer, '{}'::jsonb)
        on conflict do nothing;
        if not found then
          raise exception 'idempotency key already used' using errcode = 'PAMS3';
        end if;
      end if;

      -- Other streams the decision was based on (a practitioner's standing, say) must still be at
      -- the versions the caller read; 0 stands for a stream that does not exist.
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
    end $$`.execute(db);
  await sql`
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
    end $$`.execute(db);
}
