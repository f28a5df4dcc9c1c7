import { sql, type Kysely } from 'kysely';

// The single source of truth. Positions order events globally; transaction ids let readers fence
// out transactions that are still in flight (see projections/runner.ts).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table events (
      position        bigint generated always as identity primary key,
      transaction_id  xid8 not null default pg_current_xact_id(),
      stream_id       uuid not null,
      stream_type     text not null,
      stream_version  integer not null check (stream_version > 0),
      event_id        uuid not null unique,
      event_type      text not null,
      schema_version  integer not null check (schema_version > 0),
      data            jsonb not null,
      metadata        jsonb not null,
      recorded_at     timestamptz not null default now(),
      unique (stream_id, stream_version)
    )`.execute(db);
  await sql`create index events_in_commit_order on events (transaction_id, position)`.execute(db);

  // History is never rewritten: not by a bug, not by a careless script. Only a superuser who drops
  // the trigger on purpose can, and that leaves its own trace in the DDL log.
  await sql`
    create function events_are_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'events are append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`
    create trigger events_no_update_or_delete before update or delete on events
    for each row execute function events_are_append_only()`.execute(db);
  await sql`
    create trigger events_no_truncate before truncate on events
    for each statement execute function events_are_append_only()`.execute(db);

  // One row per stream: its current version is the optimistic-concurrency token. Updating it with
  // "where version = expected" serialises concurrent writers on one row lock.
  await sql`
    create table streams (
      stream_id    uuid primary key,
      stream_type  text not null,
      version      integer not null,
      updated_at   timestamptz not null default now()
    )`.execute(db);

  // Values that must be unique across streams (a patient's MRN). Claimed in the append's own
  // transaction, so two registrations racing for one MRN cannot both be acknowledged.
  await sql`
    create table unique_claims (
      scope       text not null,
      value       text not null,
      stream_id   uuid not null,
      claimed_at  timestamptz not null default now(),
      primary key (scope, value)
    )`.execute(db);

  // Responses to commands sent with an Idempotency-Key, written in the append's transaction so a
  // retry can never append twice.
  await sql`
    create table idempotency_keys (
      scope         text not null,
      key           text not null,
      request_hash  text not null,
      status_code   integer not null,
      response      jsonb not null,
      created_at    timestamptz not null default now(),
      primary key (scope, key)
    )`.execute(db);
  await sql`create index idempotency_keys_by_age on idempotency_keys (created_at)`.execute(db);

  // One round trip per append: version check, claims, idempotency record, events and the wake-up
  // notification all happen in this function, inside the caller's (usually implicit) transaction.
  // Error codes PAMS1..3 are mapped by src/event-store/append.ts.
  await sql`
    create function append_events(
      p_stream_id uuid,
      p_stream_type text,
      p_expected_version integer,
      p_events jsonb,
      p_claims jsonb,
      p_releases jsonb,
      p_idempotency jsonb
    ) returns table (last_position bigint, new_version integer)
    language plpgsql as $$
    declare
      v_count integer := jsonb_array_length(p_events);
      v_new_version integer := p_expected_version + v_count;
      v_last_position bigint;
      v_claimed integer;
      v_taken record;
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

      delete from unique_claims u using jsonb_array_elements(p_releases) r
      where u.scope = r->>'scope' and u.value = r->>'value' and u.stream_id = p_stream_id;

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

      if p_idempotency is not null then
        update idempotency_keys
        set response = (p_idempotency->'response')
          || jsonb_build_object('version', v_new_version, 'position', v_last_position)
        where scope = p_idempotency->>'scope' and key = p_idempotency->>'key';
      end if;

      perform pg_notify('pams_events', v_last_position::text);
      return query select v_last_position, v_new_version;
    end $$`.execute(db);
}
