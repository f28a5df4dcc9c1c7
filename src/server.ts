import { runProcess, serveApi } from './processes.js';

// `npm run start:api`: the HTTP API alone, against DATABASE_URL; workers run separately.
await runProcess({ allowEmbedded: false, applicationName: 'pams-api' }, async (runtime, logger) => [
  await serveApi(runtime, logger),
]);
