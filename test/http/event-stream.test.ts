/**
 * GET /v1/jobs/{id}/events against docs/event-stream.md: headers, the opening snapshot,
 * ids, history + live with no gap, resume, 204 after done, retention, and a real EventSource.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EventSource } from 'eventsource';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { parsed, type SseConnection, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

const call = (tool: string, args: Record<string, unknown> = {}) => ({
  server: 'fixture',
  tool,
  arguments: args,
});

/** The events after the opening snapshot: the log as this connection saw it. */
const logged = (c: SseConnection): SseEvent[] => c.events.slice(1);
const progressValues = (events: SseEvent[]): number[] =>
  parsed(events.filter((e) => e.event === 'progress')).map((e) => e.data.progress);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Runs a job to its end and returns its complete log, as a subscriber from the start saw it. */
async function finishedJob(gw: TestGateway, tool = 'slow', args: object = {}) {
  const job = await gw.startJob(call(tool, { steps: 4, intervalMs: 5, ...args }));
  const first = await gw.collect(job.id);
  const log = logged(first);
  assert.equal(log.at(-1)?.event, 'done');
  return { id: job.id, log };
}

/** A GET on the real socket that sends exactly `headers` (no Accept unless given). */
function rawGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    },
  );
}

test('headers: 200 event stream, no-cache no-transform, never compressed; 404 for unknown jobs', async (t) => {
  const gw = await startGateway(t);
  const { id } = await finishedJob(gw);
  const url = `${gw.url}/v1/jobs/${id}/events`;
  const variants: Record<string, string>[] = [
    { accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' },
    { accept: '*/*', 'user-agent': 'curl/8.5.0' },
    {},
  ];
  for (const headers of variants) {
    const res = await rawGet(url, headers);
    const what = JSON.stringify(headers);
    assert.equal(res.status, 200, what);
    assert.equal(res.headers['content-type'], 'text/event-stream', what);
    assert.equal(res.headers['cache-control'], 'no-cache, no-transform', what);
    assert.equal(res.headers['x-accel-buffering'], 'no', what);
    assert.equal(res.headers['content-encoding'], undefined, what);
    assert.match(res.body, /^retry: \d+\n\n/, what);
    assert.match(res.body, /event: done\n/, what);
  }
  for (const missing of ['0123456789abcdefghijklmnop', 'not-a-job']) {
    const res = await rawGet(`${gw.url}/v1/jobs/${missing}/events`, {
      accept: 'text/event-stream',
    });
    assert.equal(res.status, 404);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(JSON.parse(res.body).code, 'JOB_NOT_FOUND');
  }
});

test('retry first, an id-less snapshot, then ids that resume at their own position', async (t) => {
  const gw = await startGateway(t);
  const { id, log } = await finishedJob(gw);
  const again = await gw.collect(id);
  assert.match(again.raw(), /^retry: \d+\n\n/);
  assert.equal(again.events[0]!.event, 'status');
  assert.equal(again.events[0]!.id, undefined);
  assert.deepEqual(logged(again), log);
  assert.deepEqual(progressValues(log), [1, 2, 3, 4]);
  for (const e of log) assert.ok(e.id, `${e.event} has an id`);
  assert.equal(new Set(log.map((e) => e.id)).size, log.length, 'ids are distinct');
  // Strictly increasing in send order, without parsing: each id resumes right after itself.
  for (let i = 0; i < log.length - 1; i++) {
    const resumed = await gw.collect(id, { 'last-event-id': log[i]!.id! });
    assert.equal(resumed.events[0]!.id, undefined);
    assert.deepEqual(logged(resumed), log.slice(i + 1), `resumed after position ${i}`);
  }
});

test('a late subscriber gets the whole history, then done, then the end', async (t) => {
  const gw = await startGateway(t);
  const { id, log } = await finishedJob(gw, 'log', { count: 3 });
  const late = await gw.events(id);
  await late.ended;
  assert.equal(late.status, 200);
  assert.equal(parsed(late.events)[0]!.data.status, 'succeeded', 'the snapshot is current');
  assert.deepEqual(logged(late), log);
  assert.deepEqual(
    log.map((e) => e.event),
    ['status', 'log', 'log', 'log', 'progress', 'done'],
  );
});

test('a mid-job subscriber gets history then live with no gap and no duplicate', async (t) => {
  const N = 20_000;
  const gw = await startGateway(t, { env: { MAX_EVENTS_PER_JOB: '100000' } });
  const job = await gw.startJob(call('burst', { count: N }));
  // Connect as soon as the log holds some progress, while the burst is still arriving.
  let stop = (): unknown => undefined;
  await new Promise<void>((resolve) => {
    gw.app.gateway.store
      .follow(job.id, undefined, (e) => e.type === 'progress' && resolve())
      .then((feed) => {
        stop = feed.stop;
        if (feed.history.some((e) => e.type === 'progress')) resolve();
      });
  });
  stop();
  const mid = await gw.events(job.id);
  t.after(() => mid.close());
  await mid.ended;
  const snapshot = parsed(mid.events)[0]!.data;
  assert.equal(snapshot.status, 'running', 'connected before the job ended');
  assert.ok(snapshot.progress.progress < N);
  assert.deepEqual(progressValues(mid.events), range(N));
  assert.equal(mid.events.at(-1)!.event, 'done');
  const late = await gw.collect(job.id);
  assert.deepEqual(logged(mid), logged(late), 'what was live is what the log kept');
});

test('two concurrent subscribers see identical sequences', async (t) => {
  const N = 3000;
  const gw = await startGateway(t, { env: { MAX_EVENTS_PER_JOB: '10000' } });
  const job = await gw.startJob(call('burst', { count: N }));
  const [a, b] = await Promise.all([gw.events(job.id), gw.events(job.id)]);
  t.after(() => (a.close(), b.close()));
  await Promise.all([a.ended, b.ended]);
  assert.deepEqual(progressValues(a.events), range(N));
  assert.deepEqual(logged(a), logged(b));
});

test('resume: Last-Event-ID, ?lastEventId= on first connect, and the header wins', async (t) => {
  const gw = await startGateway(t);
  const { id, log } = await finishedJob(gw);
  const at = (n: number) => log[n]!.id!;
  const byHeader = await gw.collect(id, { 'last-event-id': at(2) });
  assert.deepEqual(logged(byHeader), log.slice(3));
  const byQuery = await gw.events(id, {}, `?lastEventId=${encodeURIComponent(at(1))}`);
  await byQuery.ended;
  assert.deepEqual(logged(byQuery), log.slice(2));
  const both = await gw.events(id, { 'last-event-id': at(3) }, `?lastEventId=${at(0)}`);
  await both.ended;
  assert.deepEqual(logged(both), log.slice(4));
});

test('an id the server cannot place replays from the earliest retained event', async (t) => {
  const gw = await startGateway(t);
  const { id, log } = await finishedJob(gw);
  const other = await finishedJob(gw, 'slow', { steps: 1 });
  const headerIds = [
    'garbage',
    '0',
    '-1',
    other.log[0]!.id!,
    other.log.at(-1)!.id!,
    `${log[1]!.id}x`,
    'x'.repeat(8000),
    ' \t"\'<>{}%00\\ÿ',
  ];
  for (const lastEventId of headerIds) {
    const c = await gw.collect(id, { 'last-event-id': lastEventId });
    assert.equal(c.status, 200, `header ${JSON.stringify(lastEventId.slice(0, 40))}`);
    assert.deepEqual(logged(c), log, `header ${JSON.stringify(lastEventId.slice(0, 40))}`);
  }
  for (const lastEventId of [
    'a\r\nevent: forged',
    `${log[1]!.id}\n`,
    '\0',
    'y'.repeat(1000),
    'z'.repeat(5000),
  ]) {
    const c = await gw.events(id, {}, `?lastEventId=${encodeURIComponent(lastEventId)}`);
    await c.ended;
    assert.equal(c.status, 200, `query ${JSON.stringify(lastEventId.slice(0, 40))}`);
    assert.deepEqual(logged(c), log, `query ${JSON.stringify(lastEventId.slice(0, 40))}`);
  }
});

test('after done: the id of done gets 204 with no body, an earlier id the tail', async (t) => {
  const gw = await startGateway(t);
  const { id, log } = await finishedJob(gw);
  const doneId = log.at(-1)!.id!;
  for (const [headers, query] of [
    [{ 'last-event-id': doneId }, ''],
    [{}, `?lastEventId=${encodeURIComponent(doneId)}`],
  ] as const) {
    const res = await rawGet(`${gw.url}/v1/jobs/${id}/events${query}`, {
      accept: 'text/event-stream',
      ...headers,
    });
    assert.equal(res.status, 204);
    assert.equal(res.body, '');
  }
  const tail = await gw.collect(id, { 'last-event-id': log.at(-2)!.id! });
  assert.equal(tail.status, 200);
  assert.deepEqual(logged(tail), log.slice(-1));
  await waitUntil(() => gw.app.gateway.streams.size === 0, 'no stream left open');
});

test('retention keeps the first status, the latest progress and done; oldest progress goes first', async (t) => {
  const gw = await startGateway(t, { env: { MAX_EVENTS_PER_JOB: '10' } });
  const job = await gw.startJob(call('burst', { count: 100 }));
  const first = await gw.collect(job.id);
  const log = logged(await gw.collect(job.id));
  assert.ok(log.length <= 10, `retained ${log.length} events`);
  assert.equal(log[0]!.event, 'status');
  assert.equal(JSON.parse(log[0]!.data).status, 'running');
  assert.equal(log.at(-1)!.event, 'done');
  assert.equal(JSON.parse(log.at(-1)!.data).progress.progress, 100);
  // Only progress was dropped, oldest first: what is left is the newest run, ending at 100.
  const kept = progressValues(log);
  assert.equal(kept.length, log.length - 2);
  assert.deepEqual(
    kept,
    range(kept.length).map((i) => 100 - kept.length + i),
  );
  // Whatever the first subscriber saw of them, it saw the same events.
  const sent = new Map(logged(first).map((e) => [e.id, e]));
  for (const e of log.filter((x) => sent.has(x.id))) assert.deepEqual(e, sent.get(e.id));
  assert.ok(sent.has(log.at(-1)!.id), 'the first subscriber got done');
});

test('EventSource gets progress and done, reconnects once, gets 204 and stops', async (t) => {
  const gw = await startGateway(t, { env: { SSE_RETRY_MS: '20' } });
  const job = await gw.startJob(call('slow', { steps: 3, intervalMs: 10 }));
  const path = `/v1/jobs/${job.id}/events`;
  const requests: Array<string | undefined> = [];
  let reconnectedAgain = (): void => undefined;
  const onRequest = (req: http.IncomingMessage) => {
    if (req.url !== path) return;
    requests.push(req.headers['last-event-id'] as string | undefined);
    if (requests.length > 2) reconnectedAgain();
  };
  gw.app.server.on('request', onRequest);
  t.after(() => gw.app.server.off('request', onRequest));

  const es = new EventSource(`${gw.url}${path}`);
  t.after(() => es.close());
  const progress: number[] = [];
  let done: MessageEvent | undefined;
  es.addEventListener('progress', (e) => progress.push(JSON.parse(e.data).progress));
  es.addEventListener('done', (e) => (done = e));
  await new Promise<void>((resolve, reject) => {
    es.addEventListener('error', () => es.readyState === EventSource.CLOSED && resolve());
    reconnectedAgain = () => reject(new Error(`EventSource kept reconnecting: ${requests}`));
  });
  assert.deepEqual(progress, [1, 2, 3]);
  assert.ok(done, 'done arrived');
  assert.equal(JSON.parse(done.data).status, 'succeeded');
  assert.deepEqual(requests, [undefined, done.lastEventId], 'one reconnect, from done');
  assert.equal(es.readyState, EventSource.CLOSED);
  await waitUntil(() => gw.app.gateway.streams.size === 0, 'no stream left open');
  assert.equal(requests.length, 2, 'no further reconnect');
});
