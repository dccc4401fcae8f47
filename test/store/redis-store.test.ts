import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { GatewayError } from '../../src/errors.js';
import type { StoredEvent } from '../../src/domain/events.js';
import { apiEventFormat } from '../../src/http/event-format.js';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis-store.js';
import { deleteKeys, freePort, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { jobRecord, storeContract } from './contract.js';

const redis = await redisForTests();
const prefix = uniquePrefix('store');
let stores = 0;

/**
 * A store with a key prefix of its own (under this file's prefix, deleted at the end), or, with
 * `shareLast`, a second store (another process's) on the previous store's prefix.
 */
async function openStore(
  patch: Partial<RedisStoreOptions> = {},
  shareLast = false,
): Promise<RedisStore> {
  return await RedisStore.open({
    url: redis.url,
    keyPrefix: `${prefix}${shareLast ? stores : ++stores}:`,
    retentionMs: 60_000,
    maxEventsPerJob: 100,
    leaseTtlMs: 5000,
    leaseRenewMs: 1000,
    logger: pino({ level: 'silent' }),
    format: apiEventFormat,
    ...patch,
  });
}

const progress = (n: number) => ({ type: 'progress' as const, data: JSON.stringify({ n }) });

if (redis.skip) {
  test('Redis store', { skip: redis.skip }, () => {});
} else {
  after(() => deleteKeys(redis.url, prefix));

  storeContract('redis', ({ maxEventsPerJob }) => openStore({ maxEventsPerJob }));

  describe('Redis store', () => {
    test('event ids carry the job and never contain ~', async (t) => {
      const store = await openStore();
      t.after(() => store.close());
      const job = jobRecord({ status: 'running' });
      await store.insert(job);
      const event = (await store.commit(job, progress(1)))!;
      assert.ok(event.id.startsWith(`${job.id.slice(-6)}.`), event.id);
      assert.ok(!event.id.includes('~'));
    });

    test('delivered() resolves once what a job holds has reached the live followers', async (t) => {
      const store = await openStore();
      t.after(() => store.close());
      const job = jobRecord({ status: 'running' });
      const alone = jobRecord({ status: 'running' });
      await store.insert(job);
      await store.insert(alone);
      const live: StoredEvent[] = [];
      const feed = await store.follow(job.id, undefined, (event) => live.push(event));
      t.after(() => feed.stop());
      // Knock the reader's connection out: it reads again only after reconnecting, so the
      // events below are still unread when delivered() is called.
      const admin = new Redis(redis.url);
      t.after(() => admin.disconnect());
      const readerId = await waitUntil(async () => {
        const list = (await admin.client('LIST')) as string;
        return list
          .split('\n')
          .find((line) => line.includes('name=mcp-gateway:reader') && /\bflags=\S*b/.test(line))
          ?.match(/\bid=(\d+)/)?.[1];
      }, 'the reader to block in XREAD');
      await admin.client('KILL', 'ID', readerId);
      for (let n = 1; n <= 50; n++) await store.commit(job, progress(n));
      const done = (await store.commit(
        { ...job, status: 'cancelled' },
        { type: 'done', data: '{}' },
      ))!;
      await store.commit(alone, progress(1));
      await store.delivered([job.id, alone.id]);
      assert.equal(live.length, 51);
      assert.equal(live.at(-1)!.id, done.id);
      // Nobody here follows `alone`, and an unknown job holds nothing: nothing to wait for.
      await store.delivered([alone.id, 'j_unknown']);
    });

    test('a finished job, its events and its idempotency key expire; the index forgets it', async (t) => {
      const store = await openStore({ retentionMs: 300, leaseRenewMs: 100 });
      t.after(() => store.close());
      const running = jobRecord({ status: 'running' });
      const job = jobRecord({ status: 'running' });
      await store.insert(running);
      await store.insert(job, { key: 'k', fingerprint: 'f' });
      await store.commit(job, progress(1));
      await store.commit({ ...job, status: 'succeeded' }, { type: 'done', data: '{}' });
      await waitUntil(async () => (await store.get(job.id)) === undefined, 'the job to expire');
      const page = await store.list({ owner: null, limit: 10 });
      assert.deepEqual(
        page.records.map((r) => r.id),
        [running.id],
        'a running job never expires',
      );
      // The same idempotency key now makes a new job.
      const again = await store.insert(jobRecord({ status: 'running' }), {
        key: 'k',
        fingerprint: 'other',
      });
      assert.equal(again.outcome, 'created');
      const client = new Redis(redis.url);
      t.after(() => client.disconnect());
      const keyPrefix = `${prefix}${stores}:`;
      await waitUntil(
        async () =>
          (await client.exists(`${keyPrefix}events:${job.id}`)) === 0 &&
          (await client.zscore(`${keyPrefix}owner:-`, job.id)) === null &&
          (await client.zcard(`${keyPrefix}expiring`)) === 0,
        'the sweeper to drop the expired job from the index',
      );
    });

    test('delete leaves no key of the job behind', async (t) => {
      const store = await openStore();
      t.after(() => store.close());
      const job = jobRecord({ status: 'running', owner: 'alice' });
      await store.insert(job, { key: 'k', fingerprint: 'f' });
      await store.commit(job, progress(1));
      await store.commit({ ...job, status: 'cancelled' }, { type: 'done', data: '{}' });
      assert.equal(await store.delete(job.id), 'deleted');
      const client = new Redis(redis.url);
      t.after(() => client.disconnect());
      const keyPrefix = `${prefix}${stores}:`;
      for (const key of [
        `job:${job.id}`,
        `events:${job.id}`,
        'idem:+alice:k',
        'owner:+alice',
        'expiring',
      ]) {
        assert.equal(await client.exists(`${keyPrefix}${key}`), 0, key);
      }
    });

    test('another process follows live with one reader for all its subscribers', async (t) => {
      const writer = await openStore();
      t.after(() => writer.close());
      const reader = await openStore({}, true);
      t.after(() => reader.close());
      const job = jobRecord({ status: 'running' });
      await writer.insert(job);
      const seen: StoredEvent[][] = [[], [], []];
      const feeds = await Promise.all(
        seen.map((list) => reader.follow(job.id, undefined, (e) => list.push(e))),
      );
      t.after(() => feeds.forEach((f) => f.stop()));
      assert.equal(reader.followedStreams, 1);
      const written: string[] = [];
      for (let i = 1; i <= 20; i++) written.push((await writer.commit(job, progress(i)))!.id);
      written.push(
        (await writer.commit({ ...job, status: 'succeeded' }, { type: 'done', data: '{}' }))!.id,
      );
      for (const list of seen) {
        await waitUntil(() => list.length === written.length, 'every event on every follower');
        assert.deepEqual(
          list.map((e) => e.id),
          written,
        );
      }
      feeds.forEach((f) => f.stop());
      await waitUntil(() => reader.followedStreams === 0, 'the reader to forget the stream');
    });

    test('followers joining at any point while events flow see no gap and no duplicate', async (t) => {
      const writer = await openStore({ maxEventsPerJob: 10_000 });
      t.after(() => writer.close());
      const reader = await openStore({ maxEventsPerJob: 10_000 }, true);
      t.after(() => reader.close());
      const job = jobRecord({ status: 'running' });
      await writer.insert(job);
      const written: string[] = [];
      const total = 400;
      const writing = (async () => {
        for (let i = 1; i <= total; i++) written.push((await writer.commit(job, progress(i)))!.id);
        written.push(
          (await writer.commit({ ...job, status: 'failed' }, { type: 'done', data: '{}' }))!.id,
        );
      })();
      const followers: { from: string | undefined; ids: string[]; stop(): void }[] = [];
      // Join repeatedly while the writer runs, from the start and from recent positions.
      while (written.length < total) {
        const from =
          followers.length % 2 === 0 ? undefined : written[Math.max(0, written.length - 5)];
        const ids: string[] = [];
        const feed = await reader.follow(job.id, from, (e) => ids.push(e.id));
        ids.unshift(...feed.history.map((e) => e.id));
        followers.push({ from, ids, stop: feed.stop });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writing;
      t.after(() => followers.forEach((f) => f.stop()));
      assert.ok(followers.length > 3, `${followers.length} followers`);
      for (const follower of followers) {
        const start = follower.from === undefined ? 0 : written.indexOf(follower.from) + 1;
        await waitUntil(
          () => follower.ids.at(-1) === written.at(-1),
          'every follower to reach done',
        );
        assert.deepEqual(follower.ids, written.slice(start));
      }
    });

    test('commands do not wait behind the blocked reader', async (t) => {
      const store = await openStore();
      t.after(() => store.close());
      const job = jobRecord({ status: 'running' });
      await store.insert(job);
      const feed = await store.follow(job.id, undefined, () => {});
      t.after(() => feed.stop());
      const admin = new Redis(redis.url);
      t.after(() => admin.disconnect());
      const blockedReader = async () => {
        const list = (await admin.client('LIST')) as string;
        return list
          .split('\n')
          .find((line) => line.includes('name=mcp-gateway:reader') && /\bflags=\S*b/.test(line))
          ?.match(/\bid=(\d+)/)?.[1];
      };
      const id = await waitUntil(blockedReader, 'the reader to block in XREAD');
      // The same read is still blocked after these commands answered.
      assert.deepEqual(await store.get(job.id), job);
      assert.equal((await store.list({ owner: null, limit: 5 })).records.length, 1);
      assert.equal(await blockedReader(), id);
    });

    test('an unreachable Redis gives STORE_UNAVAILABLE and not ready, without crashing', async (t) => {
      const port = await freePort();
      const store = await RedisStore.open(
        {
          url: `redis://127.0.0.1:${port}`,
          keyPrefix: `${prefix}down:`,
          retentionMs: 60_000,
          maxEventsPerJob: 10,
          leaseTtlMs: 5000,
          leaseRenewMs: 1000,
          logger: pino({ level: 'silent' }),
          format: apiEventFormat,
        },
        50,
      );
      t.after(() => store.close());
      assert.equal(await store.ready(), false);
      for (const attempt of [
        () => store.insert(jobRecord()),
        () => store.get(jobRecord().id),
        () => store.list({ owner: null, limit: 1 }),
        () => store.follow(jobRecord().id, undefined, () => {}),
      ]) {
        await assert.rejects(
          attempt(),
          (error: unknown) =>
            error instanceof GatewayError &&
            error.code === 'STORE_UNAVAILABLE' &&
            error.status === 503,
        );
      }
    });
  });
}
