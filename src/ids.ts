import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

// Random bytes drawn from the CSPRNG 4 KiB at a time: uuid's own source asks for 16 bytes per id
// through WebCrypto's getRandomValues, a call costly enough to show in a registration's API CPU
// (bench/README.md).
const pool = Buffer.alloc(4096);
let offset = pool.length;

function random16(): Uint8Array {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/** A new time-ordered id (UUIDv7): records and events sort by creation in their primary keys. */
export function newId(): string {
  return v7({ random: random16() });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is spelled as a UUID (any version, either case): what PostgreSQL's uuid type accepts from us. */
export const isUuid = (value: string): boolean => UUID.test(value);
