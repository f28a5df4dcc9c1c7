import t from 'tap';
import type { Kysely } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { routeRules } from '../../src/auth/access.js';
import type { Database } from '../../src/db.js';
import type { Actor } from '../../src/http/actor.js';
import { reachesPatient, withinReach, type ReachableRecord } from '../../src/patients/reach.js';
import { createTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/database.js';

const ada: ReachableRecord = { patientId: uuidv7(), careTeam: [uuidv7()] };
const mary: ReachableRecord = { patientId: uuidv7(), careTeam: [uuidv7()] };
const drOnAdasTeam = ada.careTeam[0]!;
const drOnMarysTeam = mary.careTeam[0]!;

/**
 * The rule, stated once: who reaches Ada's record. A practitioner must be verified to join a care
 * team (care-team.ts), so "verified and on the care team" is "on the care team"; a pending one is
 * on none and reaches no record, like the practitioner below on another patient's team.
 */
const RULE: Array<[who: string, actor: Actor, reachesAda: boolean]> = [
  ['Ada herself', { id: uuidv7(), role: 'patient', patientId: ada.patientId }, true],
  ['Ada, her id written in capitals', { id: uuidv7(), role: 'patient', patientId: ada.patientId.toUpperCase() }, true],
  ['another patient', { id: uuidv7(), role: 'patient', patientId: mary.patientId }, false],
  ['a patient account without a record', { id: uuidv7(), role: 'patient' }, false],
  ["a practitioner on Ada's care team", { id: uuidv7(), role: 'practitioner', practitionerId: drOnAdasTeam }, true],
  ["a practitioner on Ada's care team, id in capitals", { id: uuidv7(), role: 'practitioner', practitionerId: drOnAdasTeam.toUpperCase() }, true],
  ["a practitioner on another patient's care team only", { id: uuidv7(), role: 'practitioner', practitionerId: drOnMarysTeam }, false],
  ['a practitioner on no care team', { id: uuidv7(), role: 'practitioner', practitionerId: uuidv7() }, false],
  ['a practitioner account without a profile', { id: uuidv7(), role: 'practitioner' }, false],
  ['an admin', { id: uuidv7(), role: 'admin' }, true],
  ['an auditor', { id: uuidv7(), role: 'auditor' }, true],
  ['an anonymous caller', { id: null, role: 'anonymous' }, false],
  ['a role this code does not know', { id: uuidv7(), role: 'superuser' }, false],
];

t.test('reachesPatient, for a record folded in memory', async (t) => {
  for (const [who, actor, reachesAda] of RULE) t.equal(reachesPatient(actor, ada), reachesAda, who);

  t.test('nobody reaches a record that is not registered', async (t) => {
    for (const [who, actor] of RULE) t.notOk(reachesPatient(actor, undefined), who);
  });
});

t.test('withinReach, the same rule as a condition on any table keyed by patient id', async (t) => {
  const db = await createTestDatabase(t);
  // A table of some later slice: what matters is its patient-id column, not patient_summary's.
  await db.pool.query('create table charted (patient_id uuid not null)');
  const kysely = db.kysely as unknown as Kysely<Database & { charted: { patient_id: string } }>;
  await kysely.insertInto('charted').values([{ patient_id: ada.patientId }, { patient_id: mary.patientId }]).execute();
  await kysely
    .insertInto('care_team')
    .values(
      [ada, mary].map((record, index) => ({
        membership: `${record.patientId}:${record.careTeam[0]}`,
        patient_id: record.patientId,
        practitioner_id: record.careTeam[0]!,
        assigned_at: new Date(),
        assigned_by_id: null,
        assigned_by_role: 'admin',
        position: index + 1,
      })),
    )
    .execute();

  for (const [who, actor, reachesAda] of RULE) {
    const rows = await kysely.selectFrom('charted').select('patient_id').where(withinReach(actor, 'charted.patient_id')).execute();
    const reached = rows.map((row) => row.patient_id);
    t.equal(reached.includes(ada.patientId), reachesAda, who);
    t.same(
      reached.sort(),
      [ada, mary].filter((record) => reachesPatient(actor, record)).map((record) => record.patientId).sort(),
      `${who}: the rows let through are the records reachesPatient reaches`,
    );
  }
});

t.test('auditors reach every record but change none: no route that changes patient data lets them in', async (t) => {
  const { app } = await createTestApp(t);
  const changes = routeRules(app).filter(
    (rule) => rule.url.startsWith('/api/v1/patients') && !['GET', 'HEAD'].includes(rule.method),
  );
  t.ok(changes.length > 0, 'the patient record has commands');
  for (const rule of changes) {
    t.ok('roles' in rule.access && !rule.access.roles.includes('auditor'), `${rule.method} ${rule.url} refuses auditors`);
  }
});
