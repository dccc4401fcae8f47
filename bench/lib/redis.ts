/**
 * The Redis the cross-replica scenario uses (BENCH_REDIS_URL, else the machine's own), whether it
 * answers, a key prefix no other run uses, and removing every key under that prefix afterwards.
 * Same rules as test/helpers/redis.ts: an unreachable Redis skips the scenario, except under CI
 * (CI=true), where it is an error.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why `url` cannot be used, or undefined when Redis answers PING there. */
async function unreachable(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  let cause: string | undefined;
  client.on('error', (error: Error) => (cause ??= error.message));
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return cause ?? (error as Error).message;
  } finally {
    client.disconnect();
  }
}

/**
 * `skip` is false when Redis answers at `url`, else the reason to skip the scenario. Under CI
 * (CI=true) an unreachable Redis throws instead: CI must run it.
 */
export async function redisForBench(
  url = BENCH_REDIS_URL,
): Promise<{ url: string; skip: string | false }> {
  const reason = await unreachable(url);
  if (reason === undefined) return { url, skip: false };
  const message = `Redis is not reachable at ${url} (${reason}): start redis-server or set BENCH_REDIS_URL`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true, so the scenario must run`);
  return { url, skip: message };
}

/** A REDIS_KEY_PREFIX no other run uses. */
export function uniqueBenchPrefix(name: string): string {
  return `mpg-bench:${name}:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/**
 * Visits every key under `prefix` (prefixes are plain: letters, digits, ':', '-', '_', '.'),
 * unlinking them when `remove` is set; returns how many there were.
 */
async function scanKeys(url: string, prefix: string, remove: boolean): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  let found = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      found += keys.length;
      if (remove && keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return found;
}

/** Deletes every key under `prefix`; returns how many there were. */
export const deleteKeys = (url: string, prefix: string): Promise<number> =>
  scanKeys(url, prefix, true);

/** How many keys are under `prefix`. */
export const countKeys = (url: string, prefix: string): Promise<number> =>
  scanKeys(url, prefix, false);
