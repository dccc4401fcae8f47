/**
 * The event stream against docs/pitfalls.md (@fastify/sse 0.6.0, Node 20): heartbeats, framing of
 * hostile strings, ids the plugin would drop, shutdown with open streams, curl's request, slow
 * subscribers and back-pressure, and listeners left behind.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import type { MemoryStore } from '../../src/store/memory-store.js';
import { HOSTILE_STRING } from '../fixtures/fixture-server.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { parsed, SseParser, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

const call = (tool: string, args: Record<string, unknown> = {}) => ({
  server: 'fixture',
  tool,
  arguments: args,
});

/** A subscriber that reads until `pauseWhen` holds, then stops reading (its socket too). */
function pausedSubscriber(url: string, pauseWhen: (events: SseEvent[]) => boolean) {
  return new Promise<{
    events: SseEvent[];
    res: http.IncomingMessage;
    closed: Promise<void>;
    destroy(): void;
  }>((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      const parser = new SseParser();
      const closed = new Promise<void>((done) => res.on('close', done));
      res.on('error', () => {});
      let paused = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        parser.push(chunk);
        if (!paused && pauseWhen(parser.events)) {
          paused = true;
          res.pause();
          resolve({ events: parser.events, res, closed, destroy: () => req.destroy() });
        }
      });
    });
    req.on('error', reject);
  });
}

/**
 * Appends `count` log events of about `size` bytes to a running job's log, through the store as
 * the job runner does, letting I/O run between them. Upstream notifications are small and cost
 * ~150 us each; filling the ~4 MB that loopback socket buffers hold takes seconds that way.
 */
async function flood(gw: TestGateway, jobId: string, count = 160, size = 48 * 1024) {
  const { store } = gw.app.gateway;
  for (let i = 1; i <= count; i++) {
    const record = await store.get(jobId);
    const data = { level: 'info', logger: 'flood', data: { i, pad: 'x'.repeat(size) } };
    if (!record || !(await store.commit(record, { type: 'log', data: JSON.stringify(data) }))) {
      throw new Error(`job ${jobId} took no more events`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The gateway's side of every connection, to see its unsent backlog. */
function serverSockets(gw: TestGateway): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  gw.app.server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}
const backlog = (sockets: Set<net.Socket>) =>
  Math.max(0, ...[...sockets].map((s) => s.writableLength));

test('an idle stream gets comment lines (heartbeats) and stays open', async (t) => {
  const gw = await startGateway(t, { env: { SSE_HEARTBEAT_MS: '50' } });
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const c = await gw.events(job.id);
  t.after(() => c.close());
  await waitUntil(() => c.parser.comments.length >= 3, 'three heartbeats');
  assert.match(c.raw(), /\n\n:[^\n]*\n\n/, 'a heartbeat is a whole comment block');
  await gw.http.post(`/v1/jobs/${job.id}/cancel`).expect(202);
  await c.ended;
  assert.equal(c.events.at(-1)!.event, 'done');
  assert.equal(JSON.parse(c.events.at(-1)!.data).status, 'cancelled');
});

test('hostile strings cannot break the framing and round-trip through JSON', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob(call('hostile'));
  const c = await gw.collect(job.id);
  const raw = c.raw();
  assert.ok(!raw.includes('\r'), 'no CR on the wire');
  assert.ok(!raw.includes('\0'), 'no NUL on the wire');
  for (const line of raw.split('\n')) {
    assert.match(line, /^(|retry: \d+|id: [^\s]+|event: (status|progress|log|done)|data: .+)$/);
  }
  for (const e of c.events) assert.doesNotThrow(() => JSON.parse(e.data), e.data);
  assert.ok(!c.events.some((e) => e.event === 'forged' || e.id === '999'));
  const events = parsed(c.events);
  assert.equal(events.find((e) => e.event === 'progress')!.data.message, HOSTILE_STRING);
  assert.equal(events.find((e) => e.event === 'log')!.data.data, HOSTILE_STRING);
  const done = events.at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.result.content[0].text, HOSTILE_STRING);
  assert.equal(done.data.result.structuredContent.s, HOSTILE_STRING);
});

test('every logged event carries a non-empty id, the first one included', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob(call('slow', { steps: 2, intervalMs: 1 }));
  const c = await gw.collect(job.id);
  const ids = c.raw().match(/^id:.*$/gm) ?? [];
  assert.equal(ids.length, c.events.length - 1, 'one id line per event after the snapshot');
  for (const line of ids) assert.match(line, /^id: \S+$/);
  assert.ok(c.events[1]!.id, 'the first logged event has its id');
  assert.ok(!c.events.slice(1).some((e) => e.id === '0' || e.id === ''));
});

test("curl -N's request (Accept: */*) gets the stream, not a 500", async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob(call('slow', { steps: 2, intervalMs: 10 }));
  const { port } = new URL(gw.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  socket.write(
    `GET /v1/jobs/${job.id}/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      'User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n',
  );
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  await waitUntil(() => text.includes('\r\n\r\n'), 'the response head');
  assert.match(text, /^HTTP\/1\.1 200 /);
  assert.match(text, /\r\ncontent-type: text\/event-stream\r\n/i);
  await waitUntil(() => text.endsWith('\r\n0\r\n\r\n'), 'the end of the chunked response');
  assert.match(text, /\nevent: done\n/);
});

test('app.close() resolves with a stream open on a running job, which ends with done', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const c = await gw.events(job.id);
  t.after(() => c.close());
  await c.waitFor((events) => events.some((e) => JSON.parse(e.data).status === 'running'));
  assert.equal(gw.app.gateway.streams.ticking, true, 'the clock runs while a stream is open');
  await gw.close();
  await c.ended;
  const done = parsed(c.events).at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.status, 'cancelled');
  assert.equal(done.data.error.code, 'GATEWAY_SHUTDOWN');
  assert.equal((await gw.app.gateway.store.get(job.id))!.status, 'cancelled');
  assert.equal(gw.app.gateway.streams.size, 0);
});

/** Fails instead of hanging when `promise` does not settle (a guard, not a timing check). */
function settles<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

test('app.close() resolves with a subscriber that stopped reading', async (t) => {
  const gw = await startGateway(t, { env: { SSE_MAX_BACKLOG_BYTES: String(256 * 1024 ** 2) } });
  const sockets = serverSockets(gw);
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const slow = await pausedSubscriber(`${gw.url}/v1/jobs/${job.id}/events`, (e) => e.length > 0);
  t.after(() => slow.destroy());
  await flood(gw, job.id);
  await waitUntil(() => backlog(sockets) > 64 * 1024, 'a backlog on the gateway side');
  await settles(gw.close(), 'app.close()');
  assert.equal(gw.app.gateway.streams.size, 0);
  assert.equal((await gw.app.gateway.store.get(job.id))!.status, 'cancelled');
});

test('a subscriber that stops reading is cut off; it resumes and loses nothing', async (t) => {
  const gw = await startGateway(t, { env: { SSE_MAX_BACKLOG_BYTES: String(256 * 1024) } });
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const normal = await gw.events(job.id);
  t.after(() => normal.close());
  const slow = await pausedSubscriber(`${gw.url}/v1/jobs/${job.id}/events`, (events) =>
    events.some((e) => e.id !== undefined),
  );
  t.after(() => slow.destroy());
  await flood(gw, job.id);
  await normal.waitFor((events) => events.length === 2 + 160, 'every flooded event');
  await waitUntil(() => gw.app.gateway.streams.size === 1, 'the slow subscriber cut off');
  await gw.http.post(`/v1/jobs/${job.id}/cancel`).expect(202);
  await normal.ended;
  assert.equal(normal.events.at(-1)!.event, 'done');
  // Only now read what the sockets still hold: the response stops short of done.
  slow.res.resume();
  await slow.closed;
  assert.equal(slow.res.complete, false, 'the gateway cut the response');
  const seen = slow.events.slice(1);
  assert.ok(seen.length > 0 && seen.length < 160, `the slow subscriber saw ${seen.length}`);
  const rest = await gw.collect(job.id, { 'last-event-id': seen.at(-1)!.id! });
  assert.deepEqual([...seen, ...rest.events.slice(1)], normal.events.slice(1));
  await waitUntil(() => gw.app.gateway.streams.size === 0, 'no stream left');
  // The streams' one clock stops with the last stream.
  assert.equal(gw.app.gateway.streams.ticking, false);
});

test('a subscriber that reads is not cut off by one event larger than the bound', async (t) => {
  const gw = await startGateway(t, { env: { SSE_MAX_BACKLOG_BYTES: String(64 * 1024) } });
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const c = await gw.events(job.id);
  t.after(() => c.close());
  await c.waitFor((events) => events.length >= 2, 'the running status');
  await flood(gw, job.id, 1, 1024 * 1024);
  await c.waitFor((events) => events.some((e) => e.event === 'log'), 'the large event');
  assert.equal(gw.app.gateway.streams.size, 1, 'still connected');
  await gw.http.post(`/v1/jobs/${job.id}/cancel`).expect(202);
  await c.ended;
  assert.deepEqual(
    c.events.map((e) => e.event),
    ['status', 'status', 'log', 'done'],
  );
});

test('a client that disconnects while back-pressured frees its stream; the job goes on', async (t) => {
  const gw = await startGateway(t, { env: { SSE_MAX_BACKLOG_BYTES: String(256 * 1024 ** 2) } });
  const sockets = serverSockets(gw);
  const store = gw.app.gateway.store as MemoryStore;
  const job = await gw.startJob(call('silent', { ms: 600_000 }));
  const slow = await pausedSubscriber(`${gw.url}/v1/jobs/${job.id}/events`, (e) => e.length > 0);
  t.after(() => slow.destroy());
  await flood(gw, job.id);
  await waitUntil(() => backlog(sockets) > 64 * 1024, 'a backlog on the gateway side');
  assert.equal(gw.app.gateway.streams.size, 1);
  slow.destroy();
  await waitUntil(() => gw.app.gateway.streams.size === 0, 'the stream closed');
  assert.equal(store.listenerCount(job.id), 0);
  await flood(gw, job.id, 1, 10);
  const cancelled = await gw.http.post(`/v1/jobs/${job.id}/cancel`).expect(202);
  assert.equal(cancelled.body.status, 'cancelled');
  const late = await gw.collect(job.id);
  assert.equal(late.events.at(-1)!.event, 'done');
});

test('subscribers that come and go leave no listener behind', async (t) => {
  const gw = await startGateway(t);
  const store = gw.app.gateway.store as MemoryStore;
  const job = await gw.startJob(call('honour_cancel', { intervalMs: 5 }));
  assert.equal(store.listenerCount(job.id), 0);
  for (let round = 0; round < 3; round++) {
    const subscribers = await Promise.all(Array.from({ length: 8 }, () => gw.events(job.id)));
    await Promise.all(subscribers.map((s) => s.waitFor((e) => e.length > 1, 'a live event')));
    assert.equal(store.listenerCount(job.id), 8);
    for (const s of subscribers) s.close();
    await waitUntil(() => store.listenerCount(job.id) === 0, 'listeners removed');
    await waitUntil(() => gw.app.gateway.streams.size === 0, 'streams removed');
  }
  await gw.http.post(`/v1/jobs/${job.id}/cancel`).expect(202);
  const last = await gw.collect(job.id);
  const doneId = last.events.at(-1)!.id!;
  const again = await gw.http.get(`/v1/jobs/${job.id}/events`).set('last-event-id', doneId);
  assert.equal(again.status, 204);
  assert.equal(store.listenerCount(job.id), 0, 'finished and 204 streams leave none');
  assert.equal(gw.app.gateway.streams.size, 0);
});
