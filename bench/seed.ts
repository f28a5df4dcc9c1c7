import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { hashPassword } from '../src/accounts/passwords.js';
import { createAccount } from '../src/accounts/registration.js';
import type { Config } from '../src/config.js';
import { handleCommand } from '../src/event-store/command-handler.js';
import { createEventStore } from '../src/event-store/store.js';
import { practitionerDecider } from '../src/practitioners/decider.js';
import type { AppendRequest, EventMetadata } from '../src/event-store/types.js';
import { isRejection } from '../src/event-store/decider.js';
import { patientDecider } from '../src/patients/decider.js';
import type { PatientState } from '../src/patients/patient.js';
import { snapshotDue } from '../src/event-store/snapshots.js';
import { PATIENT_EVENT_VERSIONS, PATIENT_STREAM, type PatientEvent } from '../src/patients/events.js';
import { correction, registrationDemographics, seededRandom } from './data.js';

export interface SeedPlan {
  patients: number;
  /** Demographic corrections spread at random over the patients, on top of one registration each. */
  updates: number;
  /** Parallel connections; each owns a disjoint share of the patients, so appends never conflict. */
  writers: number;
  /** Appends per transaction. */
  batch: number;
}

export interface SeedResult {
  patientIds: string[];
  events: number;
  seconds: number;
}

const TODAY = '2100-01-01';

/** The clinician every measured request comes from: signs in through the API, as a client would. */
export interface BenchPractitioner {
  accountId: string;
  practitionerId: string;
  username: string;
  password: string;
}

/**
 * A verified practitioner account, made the way `npm run admin:create` makes an admin (the real
 * account code, a password hash, no mail), then verified as an admin would verify it.
 */
export async function seedPractitioner(url: string, config: Config): Promise<BenchPractitioner> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  const store = createEventStore(pool);
  const username = 'bench.practitioner@example.org';
  const password = randomBytes(18).toString('base64url');
  const operator = { actorId: null, actorRole: 'system', reason: 'npm run bench' };
  try {
    const created = await createAccount(
      { store, config },
      {
        role: 'practitioner',
        email: username,
        phone: null,
        username: null,
        firstName: 'Bench',
        lastName: 'Practitioner',
        registeredVia: 'command-line',
        emailVerified: true,
        passwordHash: await hashPassword(password, config.PASSWORD_HASH_COST),
        welcome: 'none',
      },
      () => operator,
      new Date(),
    );
    const practitionerId = created.practitionerId!;
    await handleCommand(store, practitionerDecider, {
      streamId: practitionerId,
      // No admin account exists in the bench's database: the run itself vouches for its clinician.
      command: { type: 'VerifyPractitioner', practitionerId, verifiedBy: 'npm run bench' },
      metadata: operator,
      now: new Date(),
    });
    await store.settled();
    return { accountId: created.accountId, practitionerId, username, password };
  } finally {
    await pool.end();
  }
}

function toAppend(
  streamId: string,
  expectedVersion: number,
  events: PatientEvent[],
  metadata: EventMetadata,
  recordedAt: Date,
  snapshot?: PatientState,
): AppendRequest {
  const { claims, releases } = patientDecider.uniqueClaims?.(events, patientDecider.initialState()) ?? { claims: [], releases: [] };
  return {
    streamId,
    streamType: PATIENT_STREAM,
    expectedVersion,
    claims,
    releases,
    ...(snapshot && { snapshot: { of: patientDecider.snapshotName!, state: snapshot } }),
    events: events.map((event) => ({
      ...event,
      eventId: uuidv7(),
      schemaVersion: PATIENT_EVENT_VERSIONS[event.type],
      metadata,
      recordedAt,
    })),
  };
}

/**
 * Writes the history straight through the event store's batch append: registrations by the bench's
 * practitioner decided by the real decider (so payloads, care-team assignments and MRN claims are
 * exactly what the API would write), then
 * corrections in random order across patients, as months of clinic work would leave them, with
 * the snapshots the API would have saved along the way (the same rule, snapshots.ts).
 */
export async function seed(
  url: string,
  plan: SeedPlan,
  practitioner: BenchPractitioner,
  onProgress: (events: number) => void,
): Promise<SeedResult> {
  const startedAt = performance.now();
  // Seeding needs no durability: a crash means starting the bench again.
  const pool = new pg.Pool({ connectionString: url, max: plan.writers, options: '-c synchronous_commit=off' });
  pool.on('error', () => {});
  const store = createEventStore(pool);
  const patientIds = Array.from({ length: plan.patients }, () => uuidv7());
  const versions = new Int32Array(plan.patients);
  const states: PatientState[] = new Array(plan.patients);
  const sinceSnapshot = new Int32Array(plan.patients);
  const clinician: EventMetadata = { actorId: practitioner.accountId, actorRole: 'practitioner' };
  let events = 0;

  async function flush(requests: AppendRequest[]) {
    if (requests.length === 0) return;
    await store.appendBatch(requests);
    events += requests.reduce((sum, request) => sum + request.events.length, 0);
    onProgress(events);
    requests.length = 0;
  }

  async function writer(share: number) {
    const random = seededRandom(1000 + share);
    const own: number[] = [];
    for (let index = share; index < plan.patients; index += plan.writers) own.push(index);
    const pending: AppendRequest[] = [];
    const metadata = () => ({ ...clinician, requestId: uuidv7(), correlationId: uuidv7() });

    for (const index of own) {
      const patientId = patientIds[index]!;
      const { mrn, demographics } = registrationDemographics(random, `S${String(index).padStart(7, '0')}`);
      const decision = patientDecider.decide(
        // Registered by the bench's practitioner, who thereby joins each care team and reaches them all.
        { type: 'RegisterPatient', patientId, mrn, demographics, today: TODAY, registeringPractitionerId: practitioner.practitionerId },
        patientDecider.initialState(),
      );
      if (isRejection(decision)) throw new Error(`seed data rejected: ${decision.message}`);
      pending.push(toAppend(patientId, 0, decision, metadata(), new Date()));
      versions[index] = decision.length;
      states[index] = decision.reduce(patientDecider.evolve, patientDecider.initialState());
      sinceSnapshot[index] = decision.length;
      if (pending.length >= plan.batch) await flush(pending);
    }
    await flush(pending);

    const updates = Math.floor(plan.updates / plan.writers) + (share < plan.updates % plan.writers ? 1 : 0);
    for (let done = 0; done < updates && own.length > 0; ) {
      const index = own[Math.floor(random() * own.length)]!;
      const patientId = patientIds[index]!;
      // One to five corrections per append, as one visit to the records desk might leave: fewer
      // round trips for the same history, so a million events seed in minutes.
      const count = Math.min(updates - done, 1 + Math.floor(random() * 5));
      const events: PatientEvent[] = Array.from({ length: count }, () => ({
        type: 'PatientDemographicsUpdated',
        data: { patientId, changes: correction(random) },
      }));
      states[index] = events.reduce(patientDecider.evolve, states[index]!);
      const saving = snapshotDue(sinceSnapshot[index]! + count);
      pending.push(toAppend(patientId, versions[index]!, events, metadata(), new Date(), saving ? states[index] : undefined));
      sinceSnapshot[index] = saving ? 0 : sinceSnapshot[index]! + count;
      versions[index]! += count;
      done += count;
      if (pending.length >= plan.batch) await flush(pending);
    }
    await flush(pending);
  }

  try {
    await Promise.all(Array.from({ length: plan.writers }, (_, share) => writer(share)));
    // What autovacuum would have done by now on a live system; the planner needs the statistics.
    await pool.query('vacuum (analyze) events, streams, unique_claims');
  } finally {
    await pool.end();
  }
  return { patientIds, events, seconds: (performance.now() - startedAt) / 1000 };
}
