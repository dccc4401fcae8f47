/**
 * Abuse limits over HTTP: the per-key rate limit on job creation, the per-key and per-upstream
 * caps on running jobs with their queue (fair, bounded, cancellable, ended by shutdown), and
 * deadlines that start when a queued job starts. No timing assertions: every wait is for a
 * condition the gateway reports.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { openSse, parsed } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';
import { KEYS_ENV, alice, bob, jobWhere, longCall, problem } from './support.js';

const echo = { server: 'fixture', tool: 'echo' };

async function status(gw: TestGateway, id: string, headers: Record<string, string>) {
  const res = await gw.http.get(`/v1/jobs/${id}`).set(headers);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

describe('rate limit on job creation', () => {
  test('per key: over the limit is 429 RATE_LIMITED with Retry-After; other keys go on', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, RATE_LIMIT_JOBS_PER_MINUTE: '3' } });
    for (let i = 1; i <= 3; i++) {
      const res = await gw.http.post('/v1/jobs').set(alice).send(echo);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.headers['x-ratelimit-limit'], '3');
      assert.equal(res.headers['x-ratelimit-remaining'], String(3 - i));
    }
    const over = await gw.http.post('/v1/jobs').set(alice).send(echo);
    const body = problem(over, 429, 'RATE_LIMITED');
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${retryAfter}`);
    assert.match(body.detail, /3 jobs/);
    // Nothing was created by the refused request.
    assert.equal((await gw.http.get('/v1/jobs').set(alice)).body.jobs.length, 3);
    // Reading is not limited, and bob has his own budget.
    assert.equal((await gw.http.get('/v1/jobs').set(alice)).status, 200);
    assert.equal((await gw.http.post('/v1/jobs').set(bob).send(echo)).status, 202);
    // Requests that fail authentication do not spend anyone's budget.
    for (let i = 0; i < 5; i++) {
      problem(await gw.http.post('/v1/jobs').send(echo), 401, 'UNAUTHORIZED');
    }
    assert.equal((await gw.http.post('/v1/jobs').set(bob).send(echo)).status, 202);
  });

  test('running open, the limit is per client address; 0 turns it off', async (t) => {
    const limited = await startGateway(t, { env: { RATE_LIMIT_JOBS_PER_MINUTE: '1' } });
    assert.equal((await limited.http.post('/v1/jobs').send(echo)).status, 202);
    problem(await limited.http.post('/v1/jobs').send(echo), 429, 'RATE_LIMITED');
    const unlimited = await startGateway(t, { env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } });
    for (let i = 0; i < 5; i++) {
      const res = await unlimited.http.post('/v1/jobs').send(echo);
      assert.equal(res.status, 202);
      assert.equal(res.headers['x-ratelimit-limit'], undefined);
    }
  });
});

describe('caps on running jobs, and the queue', () => {
  test('per upstream: over the cap a job waits as queued and starts when a place frees', async (t) => {
    const gw = await startGateway(t, {
      upstreams: [fixtureStdio('fixture'), fixtureStdio('other')],
      env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_UPSTREAM: '1' },
    });
    const a = await gw.startJob(longCall, alice);
    await jobWhere(gw, a.id, (s) => s === 'running', alice);
    const b = await gw.startJob(longCall, bob);
    assert.equal(b.status, 'queued');
    // Another upstream is not held up.
    const c = await gw.startJob({ ...longCall, server: 'other' }, bob);
    await jobWhere(gw, c.id, (s) => s === 'running', bob);
    const waiting = await status(gw, b.id, bob);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.startedAt, null);
    assert.equal(gw.app.gateway.jobs.queuedCount, 1);
    // A queued job can be retried idempotently and read, but not deleted.
    problem(await gw.http.delete(`/v1/jobs/${b.id}`).set(bob), 409, 'JOB_RUNNING');

    assert.equal((await gw.http.post(`/v1/jobs/${a.id}/cancel`).set(alice)).status, 202);
    const started = await jobWhere(gw, b.id, (s) => s === 'running', bob);
    assert.ok(Date.parse(started.startedAt) >= Date.parse(started.createdAt));
    assert.equal(gw.app.gateway.jobs.queuedCount, 0);
  });

  test('per key: one key at its cap waits; other keys are not held up', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_KEY: '1' } });
    const a1 = await gw.startJob(longCall, alice);
    const a2 = await gw.startJob(longCall, alice);
    const b1 = await gw.startJob(longCall, bob);
    await jobWhere(gw, a1.id, (s) => s === 'running', alice);
    await jobWhere(gw, b1.id, (s) => s === 'running', bob);
    assert.equal((await status(gw, a2.id, alice)).status, 'queued');
    // bob's job ending frees nothing for alice.
    await gw.http.post(`/v1/jobs/${b1.id}/cancel`).set(bob);
    await jobWhere(gw, b1.id, (s) => s === 'cancelled', bob);
    assert.equal((await status(gw, a2.id, alice)).status, 'queued');
    await gw.http.post(`/v1/jobs/${a1.id}/cancel`).set(alice);
    await jobWhere(gw, a2.id, (s) => s === 'running', alice);
  });

  test('the queue is bounded: beyond it 429 TOO_MANY_QUEUED_JOBS, and nothing is created', async (t) => {
    const gw = await startGateway(t, {
      env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_KEY: '1', MAX_QUEUED_JOBS_PER_KEY: '2' },
    });
    const running = await gw.startJob(longCall, alice);
    const q1 = await gw.startJob(longCall, alice);
    const q2 = await gw.startJob(longCall, alice);
    const over = await gw.http.post('/v1/jobs').set(alice).send(longCall);
    problem(over, 429, 'TOO_MANY_QUEUED_JOBS');
    assert.equal(over.headers['retry-after'], '5');
    const ids = (await gw.http.get('/v1/jobs').set(alice)).body.jobs.map((j: any) => j.id);
    assert.deepEqual(ids, [q2.id, q1.id, running.id]);
    // An idempotent retry of a queued job is the same job.
    const key = { 'idempotency-key': 'queued-retry' };
    await gw.http.post(`/v1/jobs/${q2.id}/cancel`).set(alice);
    await gw.http.post(`/v1/jobs/${q1.id}/cancel`).set(alice);
    const first = await gw.http.post('/v1/jobs').set(alice).set(key).send(longCall);
    assert.equal(first.status, 202, first.text);
    const again = await gw.http.post('/v1/jobs').set(alice).set(key).send(longCall);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.status, 'queued');
    // Other keys have their own queue.
    assert.equal((await gw.http.post('/v1/jobs').set(bob).send(longCall)).status, 202);
  });

  test('a queued job that is cancelled never starts, and the next one takes its turn', async (t) => {
    const gw = await startGateway(t, {
      env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_UPSTREAM: '1' },
    });
    const a = await gw.startJob(longCall, alice);
    const b = await gw.startJob({ server: 'fixture', tool: 'echo', arguments: { b: 1 } }, alice);
    const c = await gw.startJob({ server: 'fixture', tool: 'echo', arguments: { c: 1 } }, bob);
    const stream = await openSse(`${gw.url}/v1/jobs/${b.id}/events`, alice);
    await stream.waitFor((events) => events.length >= 1, 'the snapshot');

    const cancel = await gw.http.post(`/v1/jobs/${b.id}/cancel`).set(alice);
    assert.equal(cancel.status, 202, cancel.text);
    assert.equal(cancel.body.status, 'cancelled');
    assert.equal(cancel.body.error.code, 'CANCELLED');
    assert.equal(cancel.body.startedAt, null);
    await stream.ended;
    assert.deepEqual(
      parsed(stream.events).map((e) => [e.event, e.data.status]),
      [
        ['status', 'queued'],
        ['done', 'cancelled'],
      ],
    );
    problem(await gw.http.post(`/v1/jobs/${b.id}/cancel`).set(alice), 409, 'JOB_FINISHED');

    await gw.http.post(`/v1/jobs/${a.id}/cancel`).set(alice);
    const done = await jobWhere(gw, c.id, (s) => s === 'succeeded', bob);
    assert.deepEqual(done.result.structuredContent, { args: { c: 1 } });
    const never = await status(gw, b.id, alice);
    assert.equal(never.status, 'cancelled');
    assert.equal(never.startedAt, null);
    assert.equal(never.result, null);
  });

  test('keys take turns for a busy upstream; each key’s jobs start in order', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_UPSTREAM: '1' } });
    const first = await gw.startJob(longCall, alice);
    await jobWhere(gw, first.id, (s) => s === 'running', alice);
    const owners = new Map<string, Record<string, string>>();
    const names = new Map<string, string>();
    for (const [name, headers] of [
      ['a1', alice],
      ['a2', alice],
      ['a3', alice],
      ['b1', bob],
      ['b2', bob],
    ] as const) {
      const job = await gw.startJob(longCall, headers);
      assert.equal(job.status, 'queued');
      owners.set(job.id, headers);
      names.set(job.id, name);
    }
    const order: string[] = [];
    let current: { id: string; headers: Record<string, string> } = {
      id: first.id,
      headers: alice,
    };
    for (let i = 0; i < 5; i++) {
      await gw.http.post(`/v1/jobs/${current.id}/cancel`).set(current.headers);
      const next = await waitUntil(async () => {
        for (const [id, headers] of owners) {
          if ((await status(gw, id, headers)).status === 'running') return { id, headers };
        }
        return undefined;
      }, 'the next job to start');
      order.push(names.get(next.id)!);
      owners.delete(next.id);
      current = next;
    }
    assert.deepEqual(order, ['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  test('a queued job’s deadlines start when it runs, not while it waits', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_KEY: '1' } });
    const blocker = await gw.startJob(longCall, alice);
    const timed = await gw.startJob({ ...longCall, options: { timeoutMs: 300 } }, alice);
    // Wait (by the clock, for a condition) until its deadline would have passed had it started.
    await waitUntil(() => Date.now() > Date.parse(timed.createdAt) + 600, 'the deadline to pass');
    assert.equal((await status(gw, timed.id, alice)).status, 'queued');
    await gw.http.post(`/v1/jobs/${blocker.id}/cancel`).set(alice);
    const failed = await jobWhere(gw, timed.id, (s) => s === 'failed', alice);
    assert.equal(failed.error.code, 'JOB_TIMEOUT');
    // It started only after the point where a deadline counted from acceptance would have ended it.
    assert.ok(Date.parse(failed.startedAt) > Date.parse(timed.createdAt) + 600, failed.startedAt);
  });

  test('shutdown ends queued jobs too (GATEWAY_SHUTDOWN), without starting them', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_KEY: '1' } });
    const running = await gw.startJob(longCall, alice);
    const queued = await gw.startJob(longCall, alice);
    await jobWhere(gw, running.id, (s) => s === 'running', alice);
    const streams = await Promise.all(
      [running, queued].map((job) => openSse(`${gw.url}/v1/jobs/${job.id}/events`, alice)),
    );
    await Promise.all(streams.map((s) => s.waitFor((events) => events.length >= 1, 'snapshot')));
    await gw.close();
    const finals = await Promise.all(
      streams.map(async (s) => {
        await s.ended;
        return parsed(s.events).at(-1)!;
      }),
    );
    const waited = finals[1]!;
    for (const done of finals) {
      assert.equal(done.event, 'done');
      assert.equal(done.data.status, 'cancelled');
      assert.equal(done.data.error.code, 'GATEWAY_SHUTDOWN');
    }
    assert.equal(waited.data.startedAt, null);
    assert.match(waited.data.error.message, /before the job could run/);
  });
});
