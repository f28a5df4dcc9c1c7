import { runProcess, runWorkers, serveApi } from './processes.js';

// `npm start`: API and projection workers in one process, on DATABASE_URL or an embedded PostgreSQL.
await runProcess({ allowEmbedded: true, applicationName: 'pams' }, async (runtime, logger) => {
  const workers = await runWorkers(runtime, logger);
  const api = await serveApi(runtime, logger);
  return [api, workers];
});
