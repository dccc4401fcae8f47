import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { apiEventFormat } from '../../src/http/event-format.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { jobRecord, storeContract } from './contract.js';

storeContract(
  'memory',
  async ({ maxEventsPerJob }) =>
    new MemoryStore({
      retentionMs: 60_000,
      maxJobs: 1000,
      maxEventsPerJob,
      format: apiEventFormat,
    }),
);

test('memory store: finished jobs expire after the retention time', async (t) => {
  let now = 1_000_000;
  const store = new MemoryStore({
    retentionMs: 1000,
    maxJobs: 10,
    maxEventsPerJob: 10,
    format: apiEventFormat,
    now: () => now,
  });
  t.after(() => store.close());
  const job = jobRecord({ status: 'running' });
  await store.insert(job);
  now += 10_000;
  assert.ok(await store.get(job.id), 'a running job never expires');
  await store.commit({ ...job, status: 'succeeded' }, { type: 'done', data: '{}' });
  now += 999;
  assert.ok(await store.get(job.id));
  now += 1;
  assert.equal(await store.get(job.id), undefined);
  assert.equal(store.size, 0);
});

test('memory store: when full, the oldest finished job is evicted; all running → TOO_MANY_JOBS', async (t) => {
  const store = new MemoryStore({
    retentionMs: 60_000,
    maxJobs: 3,
    maxEventsPerJob: 10,
    format: apiEventFormat,
  });
  t.after(() => store.close());
  const [a, b, c] = [
    jobRecord({ status: 'running' }),
    jobRecord({ status: 'running' }),
    jobRecord({ status: 'running' }),
  ];
  for (const r of [a!, b!, c!]) await store.insert(r);
  await store.commit({ ...c!, status: 'succeeded' }, { type: 'done', data: '{}' });
  await store.commit({ ...b!, status: 'failed' }, { type: 'done', data: '{}' });
  const d = jobRecord({ status: 'running' });
  await store.insert(d);
  assert.equal(await store.get(b!.id), undefined, 'b finished and was inserted before c');
  assert.ok(await store.get(c!.id));
  const e = jobRecord({ status: 'running' });
  await store.insert(e);
  assert.equal(await store.get(c!.id), undefined);
  await assert.rejects(
    store.insert(jobRecord()),
    (error: unknown) => error instanceof GatewayError && error.code === 'TOO_MANY_JOBS',
  );
});
