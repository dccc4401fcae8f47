import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCNotification } from '@modelcontextprotocol/sdk/types.js';
import type { JobView } from '../../src/http/job-view.js';
import { startHttpFixture } from '../fixtures/http-server.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { parsed, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

type Parsed = ReturnType<typeof parsed>;

/** The event types a stream carried after its opening snapshot. */
function kinds(events: Parsed): string[] {
  assert.equal(events[0]?.event, 'status', 'a stream opens with a status snapshot');
  assert.equal(events[0]?.id, undefined, 'the snapshot has no id');
  return events.slice(1).map((e) => e.event);
}

const progressOf = (events: Parsed) => events.filter((e) => e.event === 'progress');
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function getJob(gw: TestGateway, id: string): Promise<JobView> {
  return (await gw.http.get(`/v1/jobs/${id}`).expect(200)).body as JobView;
}

/** Follows a job's stream to `done`, resuming with Last-Event-ID if the server cuts it off. */
async function followToDone(
  gw: TestGateway,
  id: string,
): Promise<{ events: SseEvent[]; cuts: number }> {
  const events: SseEvent[] = [];
  let cuts = 0;
  for (;;) {
    const lastId = events.findLast((e) => e.id !== undefined)?.id;
    const stream = await gw.events(id, lastId ? { 'last-event-id': lastId } : {});
    await stream.ended;
    events.push(...stream.events.filter((e, i) => i > 0 || e.id !== undefined));
    if (events.at(-1)?.event === 'done') return { events, cuts };
    cuts++;
    assert.ok(cuts < 50, 'the stream keeps being cut off');
  }
}

/** Records every notification the in-process MCP clients (the gateway) and servers receive. */
function spyNotifications(t: TestContext) {
  const proto = Protocol.prototype as unknown as {
    _onnotification(this: unknown, n: JSONRPCNotification): void;
  };
  const original = proto._onnotification;
  const seen: Array<{ self: unknown; side: 'client' | 'server'; n: JSONRPCNotification }> = [];
  proto._onnotification = function (n) {
    const side = this instanceof Client ? 'client' : this instanceof Server ? 'server' : undefined;
    if (side) seen.push({ self: this, side, n });
    original.call(this, n);
  };
  t.after(() => {
    proto._onnotification = original;
  });
  return seen;
}

/**
 * Records every notification this process reads from a stdio upstream, before any routing
 * (the gateway sends progress past the SDK's Protocol, so a Protocol spy would not see it).
 */
function spyStdioReads(t: TestContext): JSONRPCNotification[] {
  const proto = ReadBuffer.prototype;
  const original = proto.readMessage;
  const seen: JSONRPCNotification[] = [];
  proto.readMessage = function (this: ReadBuffer) {
    const message = original.call(this);
    if (message && 'method' in message && !('id' in message)) seen.push(message);
    return message;
  };
  t.after(() => {
    proto.readMessage = original;
  });
  return seen;
}

function assertBurst(events: Parsed, count: number): void {
  assert.deepEqual(kinds(events), ['status', ...range(count).map(() => 'progress'), 'done']);
  const progress = progressOf(events).map((e) => e.data);
  assert.deepEqual(
    progress.map((p) => [p.progress, p.message]),
    range(count).map((i) => [i, `n${i}`]),
  );
  assert.equal(events.at(-1)!.data.status, 'succeeded');
  assert.deepEqual(events.at(-1)!.data.result.content, [{ type: 'text', text: `burst ${count}` }]);
}

test('#2580: ten sequential bursts of 7 each deliver progress 1..7, then done', async (t) => {
  const gw = await startGateway(t);
  for (let run = 0; run < 10; run++) {
    const job = await gw.startJob({ server: 'fixture', tool: 'burst', arguments: { count: 7 } });
    assertBurst(parsed((await gw.collect(job.id)).events), 7);
    const view = await getJob(gw, job.id);
    assert.deepEqual(view.progress, { progress: 7, total: null, message: 'n7', percent: null });
  }
});

test('#2580: ten concurrent bursts of 7 on one upstream each deliver 1..7', async (t) => {
  const gw = await startGateway(t);
  const body = { server: 'fixture', tool: 'burst', arguments: { count: 7 } };
  const jobs = await Promise.all(range(10).map(() => gw.startJob(body)));
  const streams = await Promise.all(jobs.map((job) => gw.collect(job.id)));
  for (const stream of streams) assertBurst(parsed(stream.events), 7);
  for (const job of jobs) assert.equal((await getJob(gw, job.id)).progress?.progress, 7);
});

test('#2580: a flood of 20000 progress notifications arrives complete and in order', async (t) => {
  const gw = await startGateway(t, { env: { MAX_EVENTS_PER_JOB: '25000' } });
  const job = await gw.startJob({ server: 'fixture', tool: 'burst', arguments: { count: 20_000 } });
  const live = await followToDone(gw, job.id);
  const history = parsed((await gw.collect(job.id)).events);
  for (const events of [parsed(live.events), history.slice(1)]) {
    const values = progressOf(events).map((e) => e.data.progress as number);
    assert.equal(values.length, 20_000);
    assert.ok(
      values.every((v, i) => v === i + 1),
      'progress is 1..20000 in order',
    );
    assert.equal(events.at(-1)!.event, 'done');
    assert.equal(events.at(-1)!.data.status, 'succeeded');
  }
  t.diagnostic(`live stream was cut off ${live.cuts} time(s)`);
  const view = await getJob(gw, job.id);
  assert.equal(view.status, 'succeeded');
  assert.deepEqual(view.progress, {
    progress: 20_000,
    total: null,
    message: 'n20000',
    percent: null,
  });
});

test('20 concurrent jobs on one upstream each get only their own progress', async (t) => {
  const gw = await startGateway(t);
  const pidJob = async () => {
    const job = await gw.startJob({ server: 'fixture', tool: 'ping_pid' });
    return parsed((await gw.collect(job.id)).events).at(-1)!.data.result.content[0].text;
  };
  const pid = await pidJob();
  // Each job has its own step count (and so its own total): a misrouted notification shows.
  const steps = range(20).map((i) => 4 + i);
  const jobs = await Promise.all(
    steps.map((n) =>
      gw.startJob({ server: 'fixture', tool: 'slow', arguments: { steps: n, intervalMs: 15 } }),
    ),
  );
  const streams = await Promise.all(jobs.map((job) => gw.collect(job.id)));
  streams.forEach((stream, i) => {
    const events = parsed(stream.events);
    const n = steps[i]!;
    assert.deepEqual(
      progressOf(events).map((e) => [e.data.progress, e.data.total, e.data.message]),
      range(n).map((s) => [s, n, `step ${s}`]),
      `job ${i} with ${n} steps`,
    );
    assert.equal(events.at(-1)!.data.status, 'succeeded');
    assert.equal(events.at(-1)!.data.result.content[0].text, `slow ${n}`);
  });
  const { body } = await gw.http.get('/v1/servers').expect(200);
  assert.equal(body.servers.length, 1);
  assert.equal(body.servers[0].state, 'connected');
  assert.equal(body.servers[0].reconnects, 0);
  assert.equal(body.servers[0].activeCalls, 0);
  assert.equal(await pidJob(), pid, 'every job used the same upstream process');
});

test('a job that has the upstream to itself gets its log notifications', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob({ server: 'fixture', tool: 'log', arguments: { count: 3 } });
  const events = parsed((await gw.collect(job.id)).events);
  assert.deepEqual(kinds(events), ['status', 'log', 'log', 'log', 'progress', 'done']);
  assert.deepEqual(
    events.filter((e) => e.event === 'log').map((e) => e.data),
    [
      { level: 'info', logger: 'fixture', data: { i: 1 } },
      { level: 'warning', logger: 'fixture', data: { i: 2 } },
      { level: 'error', logger: 'fixture', data: { i: 3 } },
    ],
  );
  assert.equal(events.at(-1)!.data.status, 'succeeded');
});

test('log notifications are dropped while two jobs share the upstream (PITFALLS)', async (t) => {
  const gw = await startGateway(t);
  const other = await gw.startJob({
    server: 'fixture',
    tool: 'silent',
    arguments: { ms: 600_000 },
  });
  await waitUntil(
    () => gw.app.gateway.pool.statuses()[0]!.activeCalls === 1,
    'the silent call to be running upstream',
  );
  const job = await gw.startJob({ server: 'fixture', tool: 'log', arguments: { count: 3 } });
  const events = parsed((await gw.collect(job.id)).events);
  // Logs carry no request id: with two calls in flight none can be attributed, so none is shown
  // (not to this job, and not to the other one).
  assert.deepEqual(kinds(events), ['status', 'progress', 'done']);
  assert.equal(events.at(-1)!.data.status, 'succeeded');
  await gw.http.post(`/v1/jobs/${other.id}/cancel`).expect(202);
  const otherEvents = parsed((await gw.collect(other.id)).events);
  assert.deepEqual(kinds(otherEvents), ['status', 'done']);
});

async function cancel(gw: TestGateway, id: string): Promise<JobView> {
  const res = await gw.http.post(`/v1/jobs/${id}/cancel`);
  assert.equal(res.status, 202);
  assert.equal(res.body.status, 'cancelled', 'the 202 body already says cancelled');
  assert.equal(res.body.error.code, 'CANCELLED');
  return res.body as JobView;
}

test('cancel of a tool that honours it: the job ends cancelled', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob({
    server: 'fixture',
    tool: 'honour_cancel',
    arguments: { intervalMs: 20 },
  });
  const stream = await gw.events(job.id);
  t.after(() => stream.close());
  await stream.waitFor((es) => es.some((e) => e.event === 'progress'), 'first progress');
  await cancel(gw, job.id);
  await stream.ended;
  const events = parsed(stream.events);
  assert.equal(events.at(-1)!.event, 'done');
  assert.equal(events.filter((e) => e.event === 'done').length, 1);
  assert.equal(events.at(-1)!.data.status, 'cancelled');
  assert.equal(events.at(-1)!.data.error.code, 'CANCELLED');
  const again = await gw.http.post(`/v1/jobs/${job.id}/cancel`);
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'JOB_FINISHED');
  assert.equal(gw.app.gateway.pool.statuses()[0]!.activeCalls, 0);
});

test('notifications/cancelled reaches the upstream, whose handler then ends', async (t) => {
  const seen = spyNotifications(t);
  const fixture = await startHttpFixture();
  t.after(() => fixture.close());
  const gw = await startGateway(t, {
    upstreams: [{ name: 'web', transport: 'streamable-http', url: fixture.url, headers: {} }],
  });
  const job = await gw.startJob({
    server: 'web',
    tool: 'honour_cancel',
    arguments: { intervalMs: 20 },
  });
  const stream = await gw.events(job.id);
  t.after(() => stream.close());
  await stream.waitFor((es) => es.some((e) => e.event === 'progress'), 'first progress');
  await cancel(gw, job.id);
  const hit = await waitUntil(
    () => seen.find((s) => s.side === 'server' && s.n.method === 'notifications/cancelled'),
    'the fixture server to receive notifications/cancelled',
  );
  const requestId = hit.n.params!.requestId as number;
  const running = (hit.self as { _requestHandlerAbortControllers: Map<unknown, AbortController> })
    ._requestHandlerAbortControllers;
  // honour_cancel only ends when its signal aborts: its request handler going away proves it.
  await waitUntil(() => !running.has(requestId), 'the honour_cancel handler to end upstream');
  await stream.ended;
  assert.equal(parsed(stream.events).at(-1)!.data.status, 'cancelled');
});

test('cancel of a tool that ignores it: nothing follows done', async (t) => {
  const seen = spyStdioReads(t);
  const gw = await startGateway(t);
  const steps = 8;
  const job = await gw.startJob({
    server: 'fixture',
    tool: 'ignore_cancel',
    arguments: { steps, intervalMs: 25 },
  });
  const stream = await gw.events(job.id);
  t.after(() => stream.close());
  await stream.waitFor((es) => es.some((e) => e.event === 'progress'), 'first progress');
  const cancelled = await cancel(gw, job.id);
  await stream.ended;
  const events = parsed(stream.events);
  assert.equal(events.at(-1)!.event, 'done');
  assert.equal(events.at(-1)!.data.status, 'cancelled');

  // The server keeps going: wait for its last step to reach the gateway's client, then for a
  // following call on the same upstream to complete.
  const fromUpstream = () => seen.filter((n) => n.params?.progressToken === job.id);
  await waitUntil(
    () => fromUpstream().some((n) => n.params!.progress === steps),
    'the upstream to send its last step',
  );
  const next = await gw.startJob({ server: 'fixture', tool: 'echo', arguments: { x: 1 } });
  assert.equal(parsed((await gw.collect(next.id)).events).at(-1)!.data.status, 'succeeded');

  const view = await getJob(gw, job.id);
  assert.equal(view.status, 'cancelled');
  assert.equal(view.error?.code, 'CANCELLED');
  assert.equal(view.result, null);
  assert.deepEqual(view.progress, cancelled.progress);
  const history = parsed((await gw.collect(job.id)).events);
  assert.deepEqual(history.slice(1), events.slice(1), 'the history has nothing after done');
  assert.ok(
    fromUpstream().length > progressOf(history).length,
    'the upstream sent progress after the cancel, and it was dropped',
  );
});
