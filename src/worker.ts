import { runProcess, runWorkers } from './processes.js';

// `npm run start:worker`: projection workers alone, against DATABASE_URL. Run as many as you like:
// each projection is worked by at most one of them at a time.
await runProcess({ allowEmbedded: false, applicationName: 'pams-worker' }, async (runtime, logger) => [
  await runWorkers(runtime, logger),
]);
