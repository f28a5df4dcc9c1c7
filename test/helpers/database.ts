import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, type Db } from '../../src/db.js';
import { createEventStore, type EventStore } from '../../src/event-store/store.js';
import { databaseUrl } from './test-server.js';

export interface TestDatabase extends Db {
  url: string;
  store: EventStore;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function serverUrl(): string {
  const url = process.env.PAMS_TEST_SERVER_URL;
  if (!url) throw new Error('Run the tests with `npm test`, which prepares the database server.');
  return url;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of this test's own, dropped when the test ends. */
export async function createTestDatabase(t: Teardown, poolSize = 10): Promise<TestDatabase> {
  const name = `pams_test_${randomBytes(6).toString('hex')}`;
  const template = process.env.PAMS_TEST_TEMPLATE!;
  // Copying a template needs it to have no other sessions; parallel copies retry briefly.
  await admin(async (client) => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  });
  const url = databaseUrl(serverUrl(), name);
  const db = connect(url, poolSize, 'pams-test');
  const store = createEventStore(db.pool);
  t.teardown(async () => {
    await store.settled();
    await db.close();
    await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
  });
  return { ...db, url, store };
}
