import pg from 'pg';
import { perResponse } from './stats.js';

/** The bench database's block counters since the server started: pages read into shared buffers, and pages found there. */
export interface BlockCounts {
  read: number;
  hit: number;
}

/**
 * Watches how often PostgreSQL finds what a request needs in its own cache (`shared_buffers`), and
 * how often it has to read the page from the operating system, evicting another (writing it out
 * first if dirty). Backends report these counters at most once a second, so a 10 s run's figure is
 * good to about a tenth.
 */
export async function watchBlocks(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: 'pams-bench-blocks' });
  await client.connect();
  return {
    async counts(): Promise<BlockCounts> {
      const result = await client.query<{ read: string; hit: string }>(
        'select blks_read as read, blks_hit as hit from pg_stat_database where datname = current_database()',
      );
      return { read: Number(result.rows[0]!.read), hit: Number(result.rows[0]!.hit) };
    },
    close: () => client.end(),
  };
}

/** Blocks per 2xx response between two counts, to one decimal. */
export function blocksPerRequest(before: BlockCounts, after: BlockCounts, responses: number): BlockCounts {
  return { read: perResponse(after.read - before.read, responses), hit: perResponse(after.hit - before.hit, responses) };
}
