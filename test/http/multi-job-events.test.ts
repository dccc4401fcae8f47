import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCursor } from '../../src/http/routes/multi-job-events.js';
import { startGateway } from '../helpers/gateway.js';
import { openSse, parsed, type SseEvent } from '../helpers/sse-client.js';

const progressOf = (events: SseEvent[], jobId: string) =>
  parsed(events)
    .filter((e) => e.event === 'progress' && e.data.jobId === jobId)
    .map((e) => e.data.progress);

test('one connection follows twenty jobs and ends after the last done', async (t) => {
  const gw = await startGateway(t);
  const jobs = [];
  for (let i = 0; i < 20; i++) {
    jobs.push(
      await gw.startJob({
        server: 'fixture',
        tool: 'slow',
        arguments: { steps: 3 + (i % 3), intervalMs: 10 },
      }),
    );
  }
  const query = jobs.map((j) => `job=${j.id}`).join('&');
  const stream = await openSse(`${gw.url}/v1/events?${query}`);
  assert.equal(stream.status, 200);
  assert.equal(gw.app.gateway.streams.size, 1);
  await stream.ended;
  const events = parsed(stream.events);
  // One snapshot per job first, without ids.
  const snapshots = events.slice(0, 20);
  assert.deepEqual(
    snapshots.map((e) => [e.event, e.id, e.data.jobId]),
    jobs.map((j) => ['status', undefined, j.id]),
  );
  for (const [i, job] of jobs.entries()) {
    const steps = 3 + (i % 3);
    assert.deepEqual(
      progressOf(stream.events, job.id),
      Array.from({ length: steps }, (_v, k) => k + 1),
    );
    const done = events.filter((e) => e.event === 'done' && e.data.jobId === job.id);
    assert.equal(done.length, 1);
    assert.equal(done[0]!.data.status, 'succeeded');
  }
  assert.equal(events.at(-1)!.event, 'done');
  for (const e of events.slice(20)) assert.ok(e.id, 'every logged event has a cursor id');
});

test('a reconnect with the last cursor resumes every job with no gap and no duplicate', async (t) => {
  const gw = await startGateway(t);
  const a = await gw.startJob({
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 40, intervalMs: 10 },
  });
  const b = await gw.startJob({
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 30, intervalMs: 15 },
  });
  const url = `${gw.url}/v1/events?job=${a.id}&job=${b.id}`;
  const first = await openSse(url);
  await first.waitFor(
    (events) => events.filter((e) => e.event === 'progress').length >= 10,
    'ten progress events',
  );
  first.close();
  const cut = first.events.filter((e) => e.id !== undefined);
  const cursor = cut.at(-1)!.id!;
  const second = await openSse(url, { 'last-event-id': cursor });
  await second.ended;
  const joined = [...cut, ...second.events.filter((e) => e.id !== undefined)];
  assert.deepEqual(
    progressOf(joined, a.id),
    Array.from({ length: 40 }, (_v, k) => k + 1),
  );
  assert.deepEqual(
    progressOf(joined, b.id),
    Array.from({ length: 30 }, (_v, k) => k + 1),
  );
  // After both dones, the final cursor gets 204 so EventSource stops.
  const last = second.events.at(-1)!;
  assert.equal(last.event, 'done');
  const third = await openSse(url, { 'last-event-id': last.id! });
  assert.equal(third.status, 204);
  third.close();
});

test('a job the caller cannot see makes the whole request 404; no job is 400', async (t) => {
  const gw = await startGateway(t, {
    env: { API_KEYS: 'alice:aaaaaaaaaaaaaaaa1,bob:bbbbbbbbbbbbbbbb2' },
  });
  const alice = { authorization: 'Bearer aaaaaaaaaaaaaaaa1' };
  const bob = { authorization: 'Bearer bbbbbbbbbbbbbbbb2' };
  const job = await gw.startJob(
    { server: 'fixture', tool: 'slow', arguments: { steps: 1, intervalMs: 10 } },
    alice,
  );
  const theirs = await gw.http.get(`/v1/events?job=${job.id}`).set(bob);
  assert.equal(theirs.status, 404);
  assert.equal(theirs.body.code, 'JOB_NOT_FOUND');
  const unknown = await gw.http.get(`/v1/events?job=${job.id}&job=nope`).set(alice);
  assert.equal(unknown.status, 404);
  const none = await gw.http.get('/v1/events').set(alice);
  assert.equal(none.status, 400);
  assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
  const many = await gw.http
    .get(`/v1/events?${Array.from({ length: 51 }, (_v, i) => `job=${i}`).join('&')}`)
    .set(alice);
  assert.equal(many.status, 400);
  assert.match(many.body.detail, /at most 50 jobs/);
  // Repeated ids count once: sixty times the same job is one job.
  const repeated = await openSse(
    `${gw.url}/v1/events?${Array.from({ length: 60 }, () => `job=${job.id}`).join('&')}`,
    alice,
  );
  await repeated.ended;
  assert.equal(parsed(repeated.events).filter((e) => e.event === 'done').length, 1);
  const mine = await openSse(`${gw.url}/v1/events?job=${job.id}`, alice);
  await mine.ended;
  assert.equal(parsed(mine.events).at(-1)!.data.jobId, job.id);
});

test('parseCursor lines positions up with the job list and tolerates junk', () => {
  assert.deepEqual(parseCursor('a.1~~b.2', 3), ['a.1', undefined, 'b.2']);
  assert.deepEqual(parseCursor(undefined, 2), [undefined, undefined]);
  assert.deepEqual(parseCursor('x~y~z~w', 2), ['x', 'y']);
});

test('a stream older than SSE_MAX_STREAM_AGE_MS ends with a retry hint and resumes losslessly', async (t) => {
  const gw = await startGateway(t, { env: { SSE_MAX_STREAM_AGE_MS: '1000' } });
  const job = await gw.startJob({
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 200, intervalMs: 10 },
  });
  const seen: SseEvent[] = [];
  let lastId: string | undefined;
  let rotations = 0;
  for (;;) {
    const stream = await gw.events(job.id, lastId ? { 'last-event-id': lastId } : {});
    assert.equal(stream.status, 200);
    await stream.ended;
    const logged = stream.events.filter((e) => e.id !== undefined);
    seen.push(...logged);
    lastId = logged.at(-1)?.id ?? lastId;
    if (logged.at(-1)?.event === 'done') break;
    rotations++;
    assert.match(stream.raw(), /retry: \d+\n\n$/, 'ended by age with a retry hint');
  }
  assert.ok(rotations >= 1, 'the stream rotated at least once');
  assert.deepEqual(
    parsed(seen)
      .filter((e) => e.event === 'progress')
      .map((e) => e.data.progress),
    Array.from({ length: 200 }, (_v, k) => k + 1),
  );
});
