import { ConfigError, loadConfig } from '../src/config.js';
import { startRuntime } from '../src/runtime.js';

// `npm run migrate`: applies pending migrations (startRuntime does) and reports them.
try {
  const runtime = await startRuntime(loadConfig(), { allowEmbedded: true, attachToRunning: true, applicationName: 'pams-migrate' });
  const applied = await runtime.db.kysely
    .selectFrom('kysely_migration' as never)
    .select(['name' as never])
    .orderBy('name' as never)
    .execute();
  console.log(`Schema is current: ${applied.length} migrations applied.`);
  await runtime.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
