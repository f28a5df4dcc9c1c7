import { ConfigError, loadConfig } from '../src/config.js';
import { startRuntime } from '../src/runtime.js';
import { projectionNamed, projections } from '../projections/registry.js';
import { rebuildProjection } from '../projections/rebuild.js';

// `npm run projections:rebuild -- <name>`: refolds one projection from event zero while the API
// keeps serving the old rows; they are replaced in one commit at the end.
const name = process.argv[2];
const projection = name ? projectionNamed(name) : undefined;
if (!projection) {
  console.error(`Usage: npm run projections:rebuild -- <name>\nProjections: ${projections.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

function progressBar(done: number, total: number, startedAt: number) {
  const width = 30;
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  const rate = Math.round(done / Math.max(0.001, (Date.now() - startedAt) / 1000));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(1)}% ${done}/${total} events, ${rate}/s`;
}

try {
  const runtime = await startRuntime(loadConfig(), { allowEmbedded: true, attachToRunning: true, applicationName: 'pams-rebuild' });
  const startedAt = Date.now();
  const interactive = process.stderr.isTTY;
  let lastPrinted = 0;
  const result = await rebuildProjection({
    pool: runtime.db.pool,
    store: runtime.store,
    projection,
    batchSize: Math.max(runtime.config.PROJECTION_BATCH_SIZE, 5000),
    onProgress: (done, total) => {
      if (Date.now() - lastPrinted < (interactive ? 100 : 2000)) return;
      lastPrinted = Date.now();
      process.stderr.write(`${interactive ? '\r' : ''}${progressBar(done, total, startedAt)}${interactive ? '' : '\n'}`);
    },
  });
  const seconds = (Date.now() - startedAt) / 1000;
  process.stderr.write(`${interactive ? '\r' : ''}${progressBar(result.events, result.events, startedAt)}\n`);
  console.log(
    JSON.stringify({ projection: projection.name, events: result.events, seconds, eventsPerSecond: Math.round(result.events / seconds) }),
  );
  await runtime.close();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
