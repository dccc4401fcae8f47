/**
 * Queued jobs on the Redis store: a job waiting in one replica's queue is that replica's (its
 * lease keeps it alive: it is not failed as lost), and a cancel on another replica takes it out
 * of the queue, so it never starts. Running caps are per process.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { deleteKeys, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { KEYS_ENV, alice, jobWhere, longCall } from './support.js';

const redis = await redisForTests();
const prefix = uniquePrefix('limits');
after(async () => {
  if (!redis.skip) await deleteKeys(redis.url, prefix);
});

const env = {
  ...KEYS_ENV,
  STORE: 'redis',
  REDIS_URL: redis.url,
  REDIS_KEY_PREFIX: prefix,
  LEASE_TTL_MS: '1500',
  LEASE_RENEW_MS: '300',
  MAX_RUNNING_JOBS_PER_UPSTREAM: '1',
};

test(
  'a queued job survives lease rounds, and a cancel on another replica keeps it from starting',
  { skip: redis.skip },
  async (t) => {
    const runner = await startGateway(t, { env });
    const other = await startGateway(t, { env });
    const blocker = await runner.startJob(longCall, alice);
    await jobWhere(runner, blocker.id, (s) => s === 'running', alice);
    const queued = await runner.startJob(longCall, alice);
    const kept = await runner.startJob({ server: 'fixture', tool: 'echo' }, alice);
    assert.equal(queued.status, 'queued');

    // Several lease rounds (300 ms each) pass; a job the runner did not report would be failed.
    const since = Date.now();
    await waitUntil(() => Date.now() - since > 2000, 'a few lease rounds');
    const read = await other.http.get(`/v1/jobs/${queued.id}`).set(alice);
    assert.equal(read.body.status, 'queued', JSON.stringify(read.body.error));
    assert.equal(runner.app.gateway.jobs.queuedCount, 2);

    // Cancelled through the other replica: the runner drops it from its queue.
    const cancel = await other.http.post(`/v1/jobs/${queued.id}/cancel`).set(alice);
    assert.equal(cancel.status, 202, cancel.text);
    assert.equal(cancel.body.status, 'cancelled');
    await waitUntil(() => runner.app.gateway.jobs.queuedCount === 1, 'the runner to drop it');

    // The blocker ends: the next queued job starts, the cancelled one never does.
    await runner.http.post(`/v1/jobs/${blocker.id}/cancel`).set(alice);
    await jobWhere(other, kept.id, (s) => s === 'succeeded', alice);
    const never = (await other.http.get(`/v1/jobs/${queued.id}`).set(alice)).body;
    assert.equal(never.status, 'cancelled');
    assert.equal(never.startedAt, null);
  },
);
