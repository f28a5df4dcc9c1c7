import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { preparedQuery, type Database } from '../db.js';
import { ROLES, type Role } from '../auth/roles.js';
import { invalid, notFound } from '../errors.js';
import { awaitProjection } from '../http/consistency.js';
import type { StoredEvent } from '../event-store/types.js';
import type { Actor } from '../http/actor.js';
import type { AppDeps } from '../http/deps.js';
import { ConsistencyHeaders, decodeCursor, encodeCursor, Nullable, Page, PageQuery, problems, Uuid } from '../http/schemas.js';
import { careTeam } from '../../projections/care-team.js';
import { patientSummary, type PatientSummaryRow } from '../../projections/patient-summary.js';
import { foldStream } from '../event-store/fold-stream.js';
import { patientDecider } from './decider.js';
import { CareTeamMember, Patient, PatientParams } from './schemas.js';
import { reachesPatient, withinReach } from './reach.js';
import { isUuid } from '../ids.js';

const TAGS = ['patients'];

export function toPatient(row: PatientSummaryRow) {
  return {
    id: row.patient_id,
    mrn: row.mrn,
    firstName: row.first_name,
    lastName: row.last_name,
    dateOfBirth: row.date_of_birth,
    sex: row.sex,
    phone: row.phone,
    email: row.email,
    address: row.address,
    bloodGroup: row.blood_group,
    genotype: row.genotype,
    nationality: row.nationality,
    emergencyContacts: row.emergency_contacts,
    active: row.active,
    statusReason: row.status_reason,
    version: row.version,
    position: row.position,
    registeredAt: row.registered_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (match) => `\\${match}`);

type ListCursor = [lastNameKey: string, firstNameKey: string, patientId: string];

function parseListCursor(cursor: string | undefined): ListCursor | undefined {
  if (cursor === undefined) return undefined;
  const value = decodeCursor(cursor);
  // The id goes into SQL as ::uuid: a tampered one must be refused here, not fail in PostgreSQL.
  if (Array.isArray(value) && value.length === 3 && value.every((part) => typeof part === 'string') && isUuid(String(value[2]))) {
    return value as ListCursor;
  }
  throw invalid([{ in: 'query', field: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
}

export interface PatientFilter {
  search?: string;
  dateOfBirth?: string;
  active?: boolean;
  limit: number;
  cursor?: string;
}

/** One keyset page, of the patients `actor` reaches, in the list's stable order (family name, given name, id). */
export async function listPatients(db: Kysely<Database>, filter: PatientFilter, actor: Actor) {
  const after = parseListCursor(filter.cursor);
  let query = db.selectFrom('patient_summary').selectAll().where(withinReach(actor, 'patient_summary.patient_id'));
  const search = filter.search?.trim().toLowerCase().replace(/\s+/g, ' ');
  if (search) {
    const [first, ...rest] = search.split(' ');
    const prefix = `${escapeLike(search)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('last_name_key', 'like', prefix),
        eb('first_name_key', 'like', prefix),
        eb('mrn_key', '=', search.toUpperCase()),
        // "ada love" finds Ada Lovelace: a given name, then the start of a family name.
        ...(rest.length > 0
          ? [
              eb.and([
                eb('first_name_key', '=', first!),
                eb('last_name_key', 'like', `${escapeLike(rest.join(' '))}%`),
              ]),
            ]
          : []),
      ]),
    );
  }
  if (filter.dateOfBirth) query = query.where('date_of_birth', '=', filter.dateOfBirth);
  if (filter.active !== undefined) query = query.where('active', '=', filter.active);
  if (after) {
    query = query.where(
      sql<boolean>`(last_name_key, first_name_key, patient_id) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)`,
    );
  }
  const rows = await query
    .orderBy('last_name_key')
    .orderBy('first_name_key')
    .orderBy('patient_id')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toPatient),
    nextCursor:
      rows.length > filter.limit && last ? encodeCursor([last.last_name_key, last.first_name_key, last.patient_id]) : null,
  };
}

const HistoryItem = Type.Object({
  eventId: Uuid,
  position: Type.Integer(),
  version: Type.Integer(),
  type: Type.String({ description: 'Event type, e.g. PatientRegistered' }),
  schemaVersion: Type.Integer(),
  data: Type.Unknown(),
  recordedAt: Type.String({ format: 'date-time' }),
  actor: Type.Object({ id: Nullable(Type.String()), role: Type.String() }),
  reason: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
});

function toHistoryItem(event: StoredEvent) {
  return {
    eventId: event.eventId,
    position: event.position,
    version: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    recordedAt: event.recordedAt.toISOString(),
    actor: { id: event.metadata.actorId, role: event.metadata.actorRole },
    reason: event.metadata.reason ?? null,
    requestId: event.metadata.requestId ?? null,
    correlationId: event.metadata.correlationId ?? null,
  };
}

/** Reads of the patient record: the summary projection, and the stream itself for auditors. */
export function patientQueryRoutes({ kysely, pool, store, config }: AppDeps & { kysely: Kysely<Database> }): FastifyPluginAsyncTypebox {
  // What a caller sees of patient_summary depends on care_team too: read-your-writes waits for both,
  // or a practitioner just assigned would not yet find the patient.
  const consistent = async (position: number | undefined) => {
    for (const projection of [patientSummary.name, careTeam.name]) {
      await awaitProjection(pool, store, projection, position, config.CONSISTENCY_TIMEOUT_MS);
    }
  };

  // Who reaches a record is part of the query's shape (withinReach): one statement per role.
  const readPatientAs = new Map(
    ROLES.map((role) => [
      role,
      preparedQuery(`pams_read_patient_as_${role}`, (by: { id: string; patientId?: string; practitionerId?: string }) =>
        kysely
          .selectFrom('patient_summary')
          .select(patientSummary.columns)
          .where('patient_id', '=', by.id)
          .where(withinReach({ id: null, role, patientId: by.patientId, practitionerId: by.practitionerId }, 'patient_summary.patient_id')),
      ),
    ]),
  );

  return async (app) => {
    app.get(
      '/patients',
      {
        // A patient may list too, and finds only themselves: the list holds what the caller reaches.
        config: { access: { roles: ['patient', 'practitioner', 'admin', 'auditor'] } },
        schema: {
          operationId: 'listPatients',
          summary: 'List the patients you reach (patient_summary projection), keyset-paginated',
          description:
            'Admins and auditors see every patient; practitioners the patients whose care team they are on; a patient only themselves.',
          tags: TAGS,
          headers: ConsistencyHeaders,
          querystring: Type.Object(
            {
              ...PageQuery,
              search: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 100,
                  pattern: '\\S',
                  errorMessage: 'must contain a name prefix or an MRN, not only spaces',
                  description: 'Prefix of a given or family name, or an exact MRN',
                }),
              ),
              dateOfBirth: Type.Optional(Type.String({ format: 'date', errorMessage: 'must be a date as YYYY-MM-DD' })),
              active: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Patient), ...problems(400, 503) },
        },
      },
      async (request) => {
        await consistent(request.headers['consistent-with']);
        return listPatients(kysely, request.query, request.actor);
      },
    );

    app.get(
      '/patients/:id',
      {
        config: { access: { roles: ['patient', 'practitioner', 'admin', 'auditor'], patientParam: 'id' } },
        schema: {
          operationId: 'getPatient',
          summary: 'Read a patient (patient_summary projection)',
          tags: TAGS,
          headers: ConsistencyHeaders,
          params: PatientParams,
          response: { 200: Patient, ...problems(400, 404, 503) },
        },
      },
      async (request, reply) => {
        await consistent(request.headers['consistent-with']);
        const { role, patientId, practitionerId } = request.actor;
        const [row] = (await readPatientAs.get(role as Role)?.(pool, { id: request.params.id, patientId, practitionerId })) ?? [];
        if (!row) throw notFound(`No patient with id ${request.params.id}.`);
        return reply.header('etag', `"${row.version}"`).send(toPatient(row));
      },
    );

    app.get(
      '/patients/:id/history',
      {
        config: { access: { roles: ['patient', 'practitioner', 'admin', 'auditor'], patientParam: 'id' } },
        schema: {
          operationId: 'getPatientHistory',
          summary: "Every event of the patient's stream, in order: the auditor's replay",
          tags: TAGS,
          params: PatientParams,
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(HistoryItem), ...problems(400, 404) },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const afterVersion = cursor === undefined ? 0 : decodeCursor(cursor);
        if (typeof afterVersion !== 'number' || !Number.isInteger(afterVersion) || afterVersion < 0) {
          throw invalid([{ in: 'query', field: 'cursor', message: 'is not a cursor returned by this endpoint' }]);
        }
        // Who reaches the record is decided on its current care team, folded as a command folds
        // it (snapshot and every later event); then only the page asked for is read.
        const patient = await foldStream(store, patientDecider, request.params.id);
        const record = patient.stream === 'folded' && patient.state.status !== 'unregistered' ? patient.state : undefined;
        if (!reachesPatient(request.actor, record)) throw notFound(`No patient with id ${request.params.id}.`);
        const events = await store.readStream(request.params.id, afterVersion, limit + 1);
        const page = events.slice(0, limit);
        return {
          items: page.map(toHistoryItem),
          nextCursor: events.length > limit ? encodeCursor(page.at(-1)!.streamVersion) : null,
        };
      },
    );

    app.get(
      '/patients/:id/care-team',
      {
        config: { access: { roles: ['patient', 'practitioner', 'admin', 'auditor'], patientParam: 'id' } },
        schema: {
          operationId: 'getCareTeam',
          summary: "The practitioners on a patient's care team (care_team projection)",
          tags: TAGS,
          headers: ConsistencyHeaders,
          params: PatientParams,
          response: { 200: Type.Object({ items: Type.Array(CareTeamMember) }), ...problems(400, 404, 503) },
        },
      },
      async (request) => {
        await consistent(request.headers['consistent-with']);
        const patient = await kysely
          .selectFrom('patient_summary')
          .select('patient_id')
          .where('patient_id', '=', request.params.id)
          .where(withinReach(request.actor, 'patient_summary.patient_id'))
          .executeTakeFirst();
        if (!patient) throw notFound(`No patient with id ${request.params.id}.`);
        const members = await kysely
          .selectFrom('care_team')
          .select(careTeam.columns)
          .where('patient_id', '=', request.params.id)
          .orderBy('position')
          .execute();
        return {
          items: members.map((member) => ({
            practitionerId: member.practitioner_id,
            assignedAt: member.assigned_at.toISOString(),
            assignedBy: { id: member.assigned_by_id, role: member.assigned_by_role },
          })),
        };
      },
    );
  };
}
