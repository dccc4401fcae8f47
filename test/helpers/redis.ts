import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { waitUntil } from './wait.js';

/** The Redis the tests use: TEST_REDIS_URL, else the machine's own. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why `url` cannot be used, or undefined when Redis answers there (also used by bench/). */
export async function unreachable(url: string): Promise<string | undefined> {
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
 * The one place that decides whether the Redis tests run: `skip` is false when Redis answers,
 * else the reason to skip. Under CI (CI=true) an unreachable Redis throws instead: CI must run them.
 */
export async function redisForTests(
  url = TEST_REDIS_URL,
): Promise<{ url: string; skip: string | false }> {
  const reason = await unreachable(url);
  if (reason === undefined) return { url, skip: false };
  const message = `Redis is not reachable at ${url} (${reason}): start redis-server or set TEST_REDIS_URL`;
  if (process.env.CI === 'true')
    throw new Error(`${message}; CI=true, so the Redis tests must run`);
  return { url, skip: message };
}

/** A key prefix no other test run uses. */
export function uniquePrefix(name: string): string {
  return `mpg-test:${name}:${process.pid}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (prefixes are plain: letters, digits, ':', '-', '_', '.'). */
export async function deleteKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** How many keys are under `prefix`. */
export async function countKeys(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  try {
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on 127.0.0.1 (free when asked; good enough for a server started right after). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A private redis-server this test may stop and start at will (never the machine's own). */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM: with AOF on, what was written is on disk) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again (if stopped) on the same port and data directory; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `redis-server` on a free port with its own data directory. `persistent` turns on the
 * append-only file (fsync always), so a restart keeps every write, as a production Redis should.
 */
export async function startPrivateRedis(
  options: { persistent?: boolean } = {},
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpg-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--daemonize',
    'no',
    ...(options.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
  ];
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const start = async () => {
    if (running()) return;
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await waitUntil(
      async () => proc.exitCode === null && (await unreachable(url)) === undefined,
      `redis-server on port ${port}`,
      10_000,
    );
  };
  const stop = async () => {
    if (running()) child!.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
