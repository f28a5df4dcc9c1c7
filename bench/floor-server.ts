import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { createEventStore } from '../src/event-store/store.js';
import { decodeCursor } from '../src/http/schemas.js';
import { validatorCompiler } from '../src/http/validation.js';
import { patientDecider } from '../src/patients/decider.js';
import { RegisterPatientBody, UpdatePatientBody } from '../src/patients/schemas.js';

// The floors: the least any server on this stack can do for each request, measured in the same run
// and at the same concurrency as the API, so that "PAMS does X % of what is possible here" survives
// a noisy machine. Started by run.ts as its own process, like the API. The floors use no PAMS code
// beyond the request schema and its validator (they validate what the API validates); the
// diagnostics use the event store as well.

const url = process.env.DATABASE_URL;
const port = Number(process.env.PORT);
if (!url || !Number.isInteger(port)) {
  console.error('floor-server needs DATABASE_URL and PORT');
  process.exit(2);
}

// Kept open like the API's (src/db.ts): with pg's default the floor's connections closed together
// 10 s after each floor scenario, in the middle of the API scenario that follows it.
const pool = new pg.Pool({ connectionString: url, max: 20, application_name: 'pams-bench-floor', idleTimeoutMillis: 0 });
pool.on('error', () => {});

// Same columns, defaults and indexes as `events`, so an insert costs what an event row costs.
await pool.query(`create table if not exists bench_floor_events (like events including all)`);

const app = Fastify({ logger: false });
app.setValidatorCompiler(validatorCompiler);

// The event store's own reads and appends, grouped as the API groups them, for the diagnostics.
const store = createEventStore(pool);

const practitionerId = randomUUID();
const actor = { actorId: practitionerId, actorRole: 'practitioner' };
const metadata = JSON.stringify(actor);

// (a) validate the same body, insert one event row: one round trip.
app.post('/floor/insert', { schema: { body: RegisterPatientBody } }, async (request, reply) => {
  const id = randomUUID();
  const result = await pool.query<{ position: string }>({
    name: 'floor_insert',
    text: `insert into bench_floor_events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, metadata)
           values ($1, 'patient', 1, $2, 'PatientRegistered', 1, $3, $4) returning position`,
    values: [id, randomUUID(), JSON.stringify(request.body), metadata],
  });
  return reply.code(201).send({ id, version: 1, position: Number(result.rows[0]!.position) });
});

// The least a command on an existing record can do: validate the same body as the correction,
// read the record as a command reads it (the store's read: its snapshot and the events after it),
// insert one event row. Two round trips where (a) has one: its ratio to (a) bounds what any such
// command can reach here.
app.post(
  '/floor/patients/:id/read-insert',
  { schema: { body: UpdatePatientBody, params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } } },
  async (request, reply) => {
    const { id } = request.params as { id: string };
    const record = await store.readStreamToFold(id, patientDecider.snapshotName);
    const version = (record.last?.version ?? 0) + 1;
    const result = await pool.query<{ position: string }>({
      name: 'floor_insert_next',
      text: `insert into bench_floor_events (stream_id, stream_type, stream_version, event_id, event_type, schema_version, data, metadata)
             values ($1, 'patient', $2, $3, 'PatientDemographicsUpdated', 1, $4, $5) returning position`,
      values: [randomUUID(), version, randomUUID(), JSON.stringify(request.body), metadata],
    });
    return reply.send({ id, version, position: Number(result.rows[0]!.position) });
  },
);

// What the event store alone costs a registration: validate the same body, then append_events
// with what POST /patients appends (two events, the MRN claim, a relied-on stream), with no
// authentication, domain logic or projection. Its ratio to (a) bounds POST /patients here.
// Event types and claim scope of its own, so no projection picks the events up.
app.post('/floor/append', { schema: { body: RegisterPatientBody } }, async (request, reply) => {
  const id = randomUUID();
  const body = request.body as { mrn?: string };
  const mrn = body.mrn ?? id;
  const event = (type: string, data: object) => ({
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data,
    metadata: actor,
    recordedAt: new Date(),
  });
  const result = await store.append({
    streamId: id,
    streamType: 'bench-diagnostic',
    expectedVersion: 0,
    events: [event('DiagnosticRegistered', { ...request.body!, patientId: id }), event('DiagnosticAssigned', { patientId: id, practitionerId })],
    claims: [{ scope: 'bench-diagnostic-mrn', value: mrn }],
    releases: [],
    reliesOn: [{ streamId: practitionerId, version: 0 }],
  });
  return reply.code(201).send({ id, version: result.version, position: result.position });
});

// (b) validate the same body, touch no database.
app.post('/floor/validate', { schema: { body: RegisterPatientBody } }, async (_request, reply) =>
  reply.code(201).send({ id: randomUUID(), version: 1, position: 0 }),
);

// (c) one row of the projection by primary key, sent as it comes.
app.get<{ Params: { id: string } }>('/floor/patients/:id', async (request, reply) => {
  const result = await pool.query({
    name: 'floor_get',
    text: 'select * from patient_summary where patient_id = $1',
    values: [request.params.id],
  });
  if (result.rows.length === 0) return reply.code(404).send({});
  return result.rows[0];
});

// (d) one keyset page of 50 in the list's order, from the same opaque cursor the API hands out.
app.get<{ Querystring: { cursor?: string } }>('/floor/patients', async (request) => {
  const after = request.query.cursor ? (decodeCursor(request.query.cursor) as [string, string, string]) : undefined;
  const result = after
    ? await pool.query({
        name: 'floor_page_after',
        text: `select * from patient_summary where (last_name_key, first_name_key, patient_id) > ($1, $2, $3::uuid)
               order by last_name_key, first_name_key, patient_id limit 51`,
        values: after,
      })
    : await pool.query({
        name: 'floor_page',
        text: 'select * from patient_summary order by last_name_key, first_name_key, patient_id limit 51',
      });
  return { items: result.rows.slice(0, 50), nextCursor: result.rows.length > 50 ? 'more' : null };
});

app.get('/floor/ready', async () => ({ status: 'ready' }));

process.once('SIGTERM', () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});

await app.listen({ host: '127.0.0.1', port });
