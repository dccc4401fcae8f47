import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { redisForTests, startPrivateRedis } from '../helpers/redis.js';
import { parsed, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

// Only to know whether Redis tests run here; this test starts a Redis of its own to restart.
const redis = await redisForTests();

const progressOf = (events: SseEvent[]) => parsed(events).filter((e) => e.event === 'progress');

test(
  'Redis restarted mid-job: 503 STORE_UNAVAILABLE and not ready while down, then it resumes by itself',
  { skip: redis.skip },
  async (t) => {
    // Persistent, as production should be (the AOF survives the restart).
    const server = await startPrivateRedis({ persistent: true });
    const gateway = await startGateway(t, {
      env: {
        STORE: 'redis',
        REDIS_URL: server.url,
        LEASE_TTL_MS: '3000',
        LEASE_RENEW_MS: '500',
      },
    });
    // The gateway must close while its Redis is up (its last writes), then the server goes.
    t.after(async () => {
      await server.start().catch(() => {});
      await gateway.close();
      await server.dispose();
    });

    const job = await gateway.startJob({
      server: 'fixture',
      tool: 'honour_cancel',
      arguments: { intervalMs: 30 },
    });
    const live = await gateway.events(job.id);
    await live.waitFor((events) => progressOf(events).length >= 3, 'progress before the outage');
    const before = live.events.filter((e) => e.id !== undefined).map((e) => e.id!);

    await server.stop();
    await waitUntil(
      async () => (await gateway.http.get('/readyz')).status === 503,
      'readiness to report the outage',
    );
    const ready = await gateway.http.get('/readyz');
    assert.equal(ready.body.store, 'unavailable');
    const refused = await gateway.http
      .post('/v1/jobs')
      .send({ server: 'fixture', tool: 'slow', arguments: { steps: 1 } });
    assert.equal(refused.status, 503);
    assert.match(refused.headers['content-type']!, /^application\/problem\+json/);
    assert.equal(refused.body.code, 'STORE_UNAVAILABLE');
    const read = await gateway.http.get(`/v1/jobs/${job.id}`);
    assert.equal(read.status, 503);
    assert.equal(read.body.code, 'STORE_UNAVAILABLE');

    await server.start();
    await waitUntil(
      async () => (await gateway.http.get('/readyz')).status === 200,
      'readiness after Redis is back',
    );
    // The stream that stayed open through the outage goes on with new events.
    const seen = progressOf(live.events).length;
    await live.waitFor(
      (events) => progressOf(events).length >= seen + 3,
      'progress after the outage on the open stream',
    );
    // Nothing written before the outage was lost.
    const replay = await gateway.events(job.id);
    t.after(() => replay.close());
    await replay.waitFor(
      (events) => before.every((id) => events.some((e) => e.id === id)),
      'the events from before the outage',
    );

    // New jobs run again.
    const next = await gateway.startJob({
      server: 'fixture',
      tool: 'slow',
      arguments: { steps: 2, intervalMs: 10 },
    });
    const nextEvents = await gateway.collect(next.id);
    assert.equal(parsed(nextEvents.events).at(-1)!.data.status, 'succeeded');

    const cancelled = await gateway.http.post(`/v1/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 202);
    await live.ended;
    const done = parsed(live.events).at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'cancelled');
  },
);
