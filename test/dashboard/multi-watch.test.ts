/**
 * MultiJobWatch (src/client/multi-watch.ts), the dashboard's one-stream watcher, in Node against
 * a real gateway, over both transports: `eventsource` (the `eventsource` package standing in for
 * the browser's) and `fetch`. Every test checks that each job's progress arrives complete, in
 * order and once.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import {
  GatewayClient,
  MultiJobWatch,
  type EventSourceConstructor,
  type FetchLike,
  type MultiJobWatchOptions,
  type MultiWatchEvent,
  type StreamState,
} from '../../src/client/index.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

const API_KEY = 'multi-watch-test-secret-0123456789';

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_v, i) => from + i);

/** A watch that records what it delivered and which streams it opened. */
function recordingWatch(
  gw: TestGateway,
  transport: 'eventsource' | 'fetch' | 'auto',
  options: Partial<MultiJobWatchOptions> & { fetch?: FetchLike } = {},
) {
  const events: MultiWatchEvent[] = [];
  const states: StreamState[] = [];
  const gone: string[] = [];
  const streams: { url: URL; headers: Record<string, string> }[] = [];
  const baseFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const recordingFetch: FetchLike = (input, init) => {
    const url = new URL(input);
    if (url.pathname === '/v1/events') {
      streams.push({ url, headers: { ...(init.headers as Record<string, string>) } });
    }
    return baseFetch(input, init);
  };
  class RecordingEventSource extends EventSource {
    constructor(url: string) {
      streams.push({ url: new URL(url), headers: {} });
      super(url);
    }
  }
  const apiKey = options.apiKey;
  const watch = new MultiJobWatch({
    client: new GatewayClient(gw.url, { apiKey }),
    transport,
    reconnect: { initialDelayMs: 50 },
    ...options,
    fetch: recordingFetch,
    EventSource: RecordingEventSource as unknown as EventSourceConstructor,
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    onGone: (id) => gone.push(id),
  });
  const of = (jobId: string) => events.filter((e) => e.jobId === jobId);
  return {
    watch,
    events,
    states,
    gone,
    streams,
    progress: (jobId: string) =>
      of(jobId).flatMap((e) => (e.event === 'progress' ? [e.data.progress] : [])),
    done: (jobId: string) => of(jobId).filter((e) => e.event === 'done'),
  };
}

/** The `/v1/events` requests the gateway's socket received, with their Last-Event-ID header. */
function streamRequests(gw: TestGateway) {
  const seen: { url: URL; lastEventId: string | undefined }[] = [];
  const record = (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', gw.url);
    if (url.pathname !== '/v1/events') return;
    seen.push({ url, lastEventId: req.headers['last-event-id'] as string | undefined });
  };
  gw.app.server.on('request', record);
  return { seen, stop: () => void gw.app.server.off('request', record) };
}

/** The event ids a watch delivered for a job so far. */
const ids = (events: MultiWatchEvent[], jobId: string) =>
  events.flatMap((e) => (e.jobId === jobId && 'id' in e ? [e.id] : []));

async function slowJob(gw: TestGateway, steps: number, headers: Record<string, string> = {}) {
  const job = await gw.startJob(
    { server: 'fixture', tool: 'slow', arguments: { steps, intervalMs: 30 } },
    headers,
  );
  return job.id;
}

for (const transport of ['eventsource', 'fetch'] as const) {
  describe(`MultiJobWatch over ${transport}`, () => {
    let gw: TestGateway;
    before(async () => {
      gw = await startGateway(undefined, { env: { SSE_RETRY_MS: '50' } });
    });
    after(() => gw?.close());

    test('follows several jobs on one stream; a job added later reopens it where it was', async (t) => {
      const r = recordingWatch(gw, transport);
      t.after(() => r.watch.close());
      const a = await slowJob(gw, 30);
      const b = await slowJob(gw, 30);
      r.watch.watch([a, b]);
      await waitUntil(() => r.progress(a).length >= 3 && r.progress(b).length >= 3, 'progress');
      assert.equal(r.watch.state, 'open');
      assert.equal(gw.app.gateway.streams.size, 1);
      const c = await slowJob(gw, 10);
      r.watch.watch([c, a, b]);
      await waitUntil(() => r.done(a).length && r.done(b).length && r.done(c).length, 'every done');
      assert.deepEqual(r.progress(a), range(1, 30));
      assert.deepEqual(r.progress(b), range(1, 30));
      assert.deepEqual(r.progress(c), range(1, 10));
      for (const id of [a, b, c]) assert.equal(r.done(id).length, 1);
      assert.equal(r.streams.length, 2, 'one stream, then one for the new set');
      const [first, second] = r.streams;
      assert.deepEqual(first!.url.searchParams.getAll('job'), [a, b]);
      assert.deepEqual(second!.url.searchParams.getAll('job'), [c, a, b]);
      const cursor = second!.url.searchParams.get('lastEventId')!.split('~');
      assert.equal(cursor[0], '', 'the new job starts from its beginning');
      assert.ok(cursor[1] && cursor[2], 'the others resume where they were');
      await waitUntil(() => r.watch.state === 'idle', 'idle once every job ended');
      await waitUntil(() => gw.app.gateway.streams.size === 0, 'the stream closed');
      assert.equal(r.watch.transport, undefined);
    });

    test('resumes after the gateway ends its streams', async (t) => {
      const r = recordingWatch(gw, transport);
      t.after(() => r.watch.close());
      const requests = streamRequests(gw);
      t.after(requests.stop);
      const a = await slowJob(gw, 40);
      const b = await slowJob(gw, 20);
      r.watch.watch([a, b]);
      await waitUntil(() => r.progress(a).length >= 5, 'progress');
      const delivered = ids(r.events, a).length;
      gw.app.gateway.streams.endAll();
      await waitUntil(() => r.states.includes('reconnecting'), 'reconnecting');
      await waitUntil(() => r.done(a).length && r.done(b).length, 'every done');
      assert.deepEqual(r.progress(a), range(1, 40));
      assert.deepEqual(r.progress(b), range(1, 20));
      // Both transports make the same connection again: `fetch` by the watch's own loop, and
      // `EventSource` by itself (one EventSource, which sends the last id it saw).
      assert.equal(r.streams.length, transport === 'fetch' ? requests.seen.length : 1);
      assert.ok(requests.seen.length >= 2, 'the gateway saw the stream opened again');
      const [first, resumed] = requests.seen;
      assert.equal(first!.lastEventId, undefined, 'the first connection starts from the beginning');
      assert.deepEqual(resumed!.url.searchParams.getAll('job'), [a, b], 'the same jobs');
      // The resumed cursor holds each job's last event delivered before the stream ended (for
      // `a`, one at or after the ones seen before ending it), and more events followed it.
      const [posA, posB] = resumed!.lastEventId?.split('~') ?? [];
      const atA = ids(r.events, a).indexOf(posA!);
      const atB = ids(r.events, b).indexOf(posB!);
      assert.ok(atA >= delivered - 1 && atA < ids(r.events, a).length - 1, `a resumed at ${posA}`);
      assert.ok(atB >= 0 && atB < ids(r.events, b).length - 1, `b resumed at ${posB}`);
      // The opening snapshots of the second connection were not taken for new events.
      const snapshots = r.events.filter((e) => e.event === 'snapshot' && e.jobId === a);
      assert.ok(snapshots.length >= 2, 'a snapshot per connection');
    });

    test('drops a job the gateway does not have, and follows the others', async (t) => {
      const r = recordingWatch(gw, transport);
      t.after(() => r.watch.close());
      const a = await slowJob(gw, 10);
      r.watch.watch([a, '01k8zzzzzzzzzzzzzzzzzzzzzz']);
      await waitUntil(() => r.done(a).length, 'done');
      assert.deepEqual(r.gone, ['01k8zzzzzzzzzzzzzzzzzzzzzz']);
      assert.deepEqual(r.progress(a), range(1, 10));
    });

    test('is idle with nothing to follow and after close()', () => {
      const r = recordingWatch(gw, transport);
      r.watch.watch([]);
      assert.equal(r.watch.state, 'idle');
      assert.throws(() => r.watch.watch(range(1, 51).map(String)), RangeError);
      r.watch.close();
      r.watch.watch(['x']);
      assert.equal(r.streams.length, 0);
    });
  });
}

describe('MultiJobWatch with API keys', () => {
  let gw: TestGateway;
  const auth = { authorization: `Bearer ${API_KEY}` };
  before(async () => {
    gw = await startGateway(undefined, { env: { API_KEYS: `alice:${API_KEY}` } });
  });
  after(() => gw?.close());

  test('auto: EventSource with a stream token where the gateway issues them, never the key', async (t) => {
    const r = recordingWatch(gw, 'auto', { apiKey: API_KEY });
    t.after(() => r.watch.close());
    const a = await slowJob(gw, 10, auth);
    const b = await slowJob(gw, 10, auth);
    r.watch.watch([a, b]);
    await waitUntil(() => r.done(a).length && r.done(b).length, 'every done');
    assert.deepEqual(r.progress(a), range(1, 10));
    assert.deepEqual(r.progress(b), range(1, 10));
    const tokens = gw.app.hasRoute({ method: 'POST', url: '/v1/stream-tokens' });
    for (const stream of r.streams) {
      assert.ok(!stream.url.href.includes(API_KEY), 'the key is never in a URL');
      if (tokens) assert.ok(stream.url.searchParams.get('token'), 'a stream token');
      else assert.equal(stream.headers.authorization, `Bearer ${API_KEY}`);
    }
  });

  test('auto: fetch with the Authorization header where there are no stream tokens', async (t) => {
    const noTokens: FetchLike = (input, init) =>
      new URL(input).pathname === '/v1/stream-tokens'
        ? Promise.resolve(
            new Response(JSON.stringify({ status: 404, code: 'ROUTE_NOT_FOUND', title: 'x' }), {
              status: 404,
              headers: { 'content-type': 'application/problem+json' },
            }),
          )
        : fetch(input, init);
    const r = recordingWatch(gw, 'auto', { apiKey: API_KEY, fetch: noTokens });
    t.after(() => r.watch.close());
    const a = await slowJob(gw, 10, auth);
    r.watch.watch([a]);
    await waitUntil(() => r.done(a).length, 'done');
    assert.deepEqual(r.progress(a), range(1, 10));
    assert.equal(r.streams.length, 1);
    assert.equal(r.streams[0]!.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(r.streams[0]!.url.searchParams.get('token'), null);
  });
});
