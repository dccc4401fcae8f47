/**
 * The Redis the cross-replica scenario uses (BENCH_REDIS_URL, else the machine's own), whether it
 * answers, a key prefix no other run uses, and removing every key under that prefix afterwards.
 * Same rules as test/helpers/redis.ts: an unreachable Redis skips the scenario, except under CI
 * (CI=true), where it is an error.
 */
import { randomUUID } from 'node:crypto';
import { unreachable } from '../../test/helpers/redis.js';

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

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

// The tests' own helpers: the same reachability check and key clean-up.
export { countKeys, deleteKeys } from '../../test/helpers/redis.js';
