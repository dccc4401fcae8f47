import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StoredEvent } from '../../src/domain/events.js';
import { newJobId, type JobRecord } from '../../src/domain/job.js';
import type { JobStore } from '../../src/store/types.js';

/** Builds a store for one test with these limits; the suite closes it. */
export type StoreFactory = (limits: { maxEventsPerJob: number }) => Promise<JobStore>;

let clock = Date.UTC(2026, 0, 1);

export function jobRecord(patch: Partial<JobRecord> = {}): JobRecord {
  clock += 1;
  return {
    id: newJobId(clock),
    owner: null,
    server: 'demo',
    tool: 'countdown',
    status: 'queued',
    createdAt: new Date(clock).toISOString(),
    startedAt: null,
    finishedAt: null,
    progress: null,
    result: null,
    error: null,
    statusMessage: null,
    task: null,
    pendingInput: [],
    lastInput: null,
    timeoutMs: 1000,
    idleTimeoutMs: 1000,
    ...patch,
  };
}

const progress = (n: number) => ({
  type: 'progress' as const,
  data: JSON.stringify({ progress: n }),
});

/**
 * The behaviour every JobStore must have (the rules of docs/event-stream.md live here): run by
 * test/store/memory-store.test.ts and by the Redis store's test against a real Redis.
 */
export function storeContract(name: string, makeStore: StoreFactory): void {
  describe(`JobStore contract: ${name}`, () => {
    const open = async (t: { after(fn: () => unknown): void }, maxEventsPerJob = 100) => {
      const store = await makeStore({ maxEventsPerJob });
      t.after(() => store.close());
      return store;
    };

    test('insert, get and list newest first with filters and a cursor', async (t) => {
      const store = await open(t);
      const a = jobRecord({ server: 'one' });
      const b = jobRecord({ server: 'two', status: 'running' });
      const c = jobRecord({ server: 'one', owner: 'alice' });
      const d = jobRecord({ server: 'one' });
      for (const r of [a, b, c, d]) assert.equal((await store.insert(r)).outcome, 'created');
      assert.deepEqual(await store.get(a.id), a);
      assert.equal(await store.get(newJobId()), undefined);

      const all = await store.list({ owner: null, limit: 10 });
      assert.deepEqual(
        all.records.map((r) => r.id),
        [d.id, b.id, a.id],
      );
      assert.equal(all.next, null);
      const first = await store.list({ owner: null, limit: 2 });
      assert.deepEqual(
        first.records.map((r) => r.id),
        [d.id, b.id],
      );
      assert.ok(first.next);
      const second = await store.list({ owner: null, limit: 2, cursor: first.next! });
      assert.deepEqual(
        second.records.map((r) => r.id),
        [a.id],
      );
      assert.equal(second.next, null);
      const running = await store.list({ owner: null, limit: 10, status: 'running' });
      assert.deepEqual(
        running.records.map((r) => r.id),
        [b.id],
      );
      const one = await store.list({ owner: null, limit: 10, server: 'one' });
      assert.deepEqual(
        one.records.map((r) => r.id),
        [d.id, a.id],
      );
      const alice = await store.list({ owner: 'alice', limit: 10 });
      assert.deepEqual(
        alice.records.map((r) => r.id),
        [c.id],
      );
    });

    test('idempotency: same key and fingerprint returns the job, another fingerprint conflicts', async (t) => {
      const store = await open(t);
      const first = jobRecord();
      const claim = { key: 'k1', fingerprint: 'f1' };
      assert.equal((await store.insert(first, claim)).outcome, 'created');
      const again = await store.insert(jobRecord(), claim);
      assert.equal(again.outcome, 'existing');
      assert.equal(again.outcome === 'existing' && again.record.id, first.id);
      const other = await store.insert(jobRecord(), { key: 'k1', fingerprint: 'f2' });
      assert.equal(other.outcome, 'conflict');
      // Keys are per owner.
      const alice = await store.insert(jobRecord({ owner: 'alice' }), claim);
      assert.equal(alice.outcome, 'created');
    });

    test('commit stores the record, appends events with increasing ids, and nothing after final', async (t) => {
      const store = await open(t);
      const job = jobRecord();
      await store.insert(job);
      const running = { ...job, status: 'running' as const };
      const e1 = await store.commit(running, { type: 'status', data: '{"s":1}' });
      const e2 = await store.commit(running, progress(1));
      const done = { ...running, status: 'succeeded' as const };
      const e3 = await store.commit(done, { type: 'done', data: '{"s":2}' });
      assert.ok(e1 && e2 && e3);
      assert.deepEqual([e1.type, e2.type, e3.type], ['status', 'progress', 'done']);
      assert.equal(new Set([e1.id, e2.id, e3.id]).size, 3);
      assert.equal(e2.frame, `id: ${e2.id}\nevent: progress\ndata: {"progress":1}\n\n`);
      assert.equal((await store.get(job.id))?.status, 'succeeded');
      assert.equal(await store.commit(running, progress(2)), undefined);
      assert.equal((await store.get(job.id))?.status, 'succeeded');
      assert.equal(await store.commit(jobRecord(), progress(1)), undefined, 'unknown job');
      const feed = await store.follow(job.id, undefined, () => {});
      feed.stop();
      assert.deepEqual(
        feed.history.map((e) => e.id),
        [e1.id, e2.id, e3.id],
      );
      assert.equal(feed.ended, true);
    });

    test('follow: history after a placed id, then live events with no gap or duplicate', async (t) => {
      const store = await open(t);
      const job = jobRecord({ status: 'running' });
      await store.insert(job);
      const written: StoredEvent[] = [];
      for (let i = 1; i <= 5; i++) written.push((await store.commit(job, progress(i)))!);
      const live: StoredEvent[] = [];
      const feed = await store.follow(job.id, written[1]!.id, (e) => live.push(e));
      t.after(() => feed.stop());
      assert.equal(feed.placed, true);
      assert.equal(feed.ended, false);
      assert.deepEqual(
        feed.history.map((e) => e.id),
        written.slice(2).map((e) => e.id),
      );
      for (let i = 6; i <= 8; i++) written.push((await store.commit(job, progress(i)))!);
      const seen = () => [...feed.history, ...live].map((e) => e.id);
      const deadline = Date.now() + 10_000;
      while (live.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        seen(),
        written.slice(2).map((e) => e.id),
      );
      feed.stop();
      await store.commit(job, progress(9));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(live.length, 3, 'no delivery after stop');
    });

    test('an id that cannot be placed replays everything retained', async (t) => {
      const store = await open(t);
      const job = jobRecord({ status: 'running' });
      const other = jobRecord({ status: 'running' });
      await store.insert(job);
      await store.insert(other);
      const mine = [
        (await store.commit(job, progress(1)))!,
        (await store.commit(job, progress(2)))!,
      ];
      const theirs = (await store.commit(other, progress(1)))!;
      for (const bad of [
        '',
        'garbage',
        '0',
        '-1',
        'x'.repeat(2000),
        theirs.id,
        `${mine[1]!.id}9`,
      ]) {
        const feed = await store.follow(job.id, bad, () => {});
        feed.stop();
        assert.equal(feed.placed, false, `placed ${JSON.stringify(bad.slice(0, 40))}`);
        assert.deepEqual(
          feed.history.map((e) => e.id),
          mine.map((e) => e.id),
        );
      }
    });

    test('retention drops the oldest progress and log first, keeping status, latest progress and done', async (t) => {
      const store = await open(t, 5);
      const job = jobRecord({ status: 'running' });
      await store.insert(job);
      const status = (await store.commit(job, { type: 'status', data: '{}' }))!;
      for (let i = 1; i <= 20; i++) {
        await store.commit(job, progress(i));
        await store.commit(job, { type: 'log', data: JSON.stringify({ i }) });
      }
      const done = (await store.commit(
        { ...job, status: 'failed' },
        { type: 'done', data: '{}' },
      ))!;
      const feed = await store.follow(job.id, undefined, () => {});
      feed.stop();
      assert.ok(feed.history.length <= 5, `kept ${feed.history.length}`);
      assert.equal(feed.history[0]!.id, status.id);
      assert.equal(feed.history.at(-1)!.id, done.id);
      const kept = feed.history.filter((e) => e.type === 'progress').map((e) => JSON.parse(e.data));
      assert.deepEqual(kept.at(-1), { progress: 20 });
      // A cursor older than what is retained resumes with what is left.
      const again = await store.follow(job.id, status.id, () => {});
      again.stop();
      assert.deepEqual(
        again.history.map((e) => e.id),
        feed.history.slice(1).map((e) => e.id),
      );
    });

    test('delete forgets a finished job only', async (t) => {
      const store = await open(t);
      const job = jobRecord({ status: 'running' });
      await store.insert(job);
      assert.equal(await store.delete(job.id), 'running');
      await store.commit({ ...job, status: 'cancelled' }, { type: 'done', data: '{}' });
      assert.equal(await store.delete(job.id), 'deleted');
      assert.equal(await store.get(job.id), undefined);
      assert.equal(await store.delete(job.id), 'missing');
    });
  });
}
