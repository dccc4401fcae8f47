/**
 * The client's stream reader against a scripted stand-in for the gateway, for the situations a
 * real gateway only produces by accident: replays after an unplaceable id, events after `done`,
 * 5xx answers, a connection that goes silent, a proxy's HTML, a POST that answers after the
 * caller gave up. client.test.ts covers the same client against real gateways.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { GatewayClient, isGatewayClientError } from '../../src/client/index.js';
import type { Job } from '../../src/client/types.js';

const JOB_ID = '01k8ftbq3s6q49p9m4sl1t8vq9';

function job(status: Job['status'], extra: Partial<Job> = {}): Job {
  const self = `/v1/jobs/${JOB_ID}`;
  return {
    id: JOB_ID,
    server: 'demo',
    tool: 'countdown',
    status,
    createdAt: '2026-11-28T01:47:22.109Z',
    startedAt: status === 'queued' ? null : '2026-11-28T01:47:22.109Z',
    finishedAt: ['succeeded', 'failed', 'cancelled'].includes(status)
      ? '2026-11-28T01:47:25.142Z'
      : null,
    progress: null,
    result: status === 'succeeded' ? { content: [{ type: 'text', text: 'ok' }] } : null,
    error: status === 'cancelled' ? { code: 'CANCELLED', message: 'A client cancelled it' } : null,
    statusMessage: null,
    task: null,
    pendingInput: [],
    lastInput: null,
    links: { self, events: `${self}/events`, cancel: `${self}/cancel`, input: `${self}/input` },
    ...extra,
  };
}

const frame = (event: string, data: unknown, id?: string) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const progress = (n: number) =>
  frame('progress', { progress: n, total: null, message: null, percent: null }, `j.${n}`);
const snapshot = frame('status', job('running'));
const done = (id: string) => frame('done', job('succeeded'), id);

interface Seen {
  method: string;
  url: string;
  lastEventId: string | undefined;
}

/**
 * A server that answers request number n (from 0) with `script(n, req, res)`; `seen` records
 * every request, `next(n)` resolves when request n has arrived.
 */
async function fakeGateway(
  t: TestContext,
  script: (n: number, req: http.IncomingMessage, res: http.ServerResponse) => void,
) {
  const seen: Seen[] = [];
  const waiting = new Map<number, () => void>();
  const server = http.createServer((req, res) => {
    const n = seen.length;
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      lastEventId: req.headers['last-event-id'] as string | undefined,
    });
    req.resume();
    script(n, req, res);
    waiting.get(n)?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    next: (n: number) =>
      new Promise<void>((resolve) => {
        if (seen.length > n) resolve();
        else waiting.set(n, resolve);
      }),
  };
}

const sse = (res: http.ServerResponse, status = 200) =>
  res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });

const problem = (res: http.ServerResponse, status: number, code: string) =>
  res
    .writeHead(status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: `urn:x:${code}`, title: code, status, detail: code, code }));

const fast = { initialDelayMs: 5, maxDelayMs: 20 };

// The default delay is an hour: only honouring the gateway's `retry: 7` lets this test finish.
test(
  'honours retry:, resumes with Last-Event-ID after a clean end, stops on done',
  { timeout: 30_000 },
  async (t) => {
    const gw = await fakeGateway(t, (n, _req, res) => {
      sse(res);
      if (n === 0) res.end(`retry: 7\n\n${snapshot}${progress(1)}`);
      else res.end(`retry: 7\n\n${snapshot}${progress(2)}${done('j.3')}`);
    });
    const seen: number[] = [];
    const client = new GatewayClient(gw.url, { reconnect: { initialDelayMs: 3_600_000 } });
    const watch = client.watch(JOB_ID, { progressHandler: (p) => seen.push(p) });
    assert.equal((await watch.done).status, 'succeeded');
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(
      gw.seen.map((s) => s.lastEventId),
      [undefined, 'j.1'],
    );
    assert.equal(watch.lastEventId, 'j.3');
  },
);

test('events replayed after an id the gateway could not place are not delivered twice', async (t) => {
  const gw = await fakeGateway(t, (n, _req, res) => {
    sse(res);
    if (n === 0) res.end(`${snapshot}${progress(1)}${progress(2)}`);
    else res.end(`${snapshot}${progress(1)}${progress(2)}${progress(3)}${done('j.4')}`);
  });
  const seen: number[] = [];
  const events: string[] = [];
  const client = new GatewayClient(gw.url, { reconnect: fast });
  const watch = client.watch(JOB_ID, {
    progressHandler: (p) => seen.push(p),
    eventHandler: (e) => events.push(`${e.event}#${e.id}`),
  });
  await watch.done;
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(events, ['progress#j.1', 'progress#j.2', 'progress#j.3', 'done#j.4']);
});

test('nothing after done is delivered, and done settles once', async (t) => {
  const gw = await fakeGateway(t, (_n, _req, res) => {
    sse(res);
    res.end(`${snapshot}${progress(1)}${done('j.2')}${progress(3)}${done('j.4')}`);
  });
  const seen: number[] = [];
  const statuses: string[] = [];
  const client = new GatewayClient(gw.url, { reconnect: fast });
  const watch = client.watch(JOB_ID, {
    progressHandler: (p) => seen.push(p),
    statusHandler: (j) => statuses.push(j.status),
  });
  await watch.done;
  assert.deepEqual(seen, [1]);
  assert.deepEqual(statuses, ['running', 'succeeded']);
  assert.equal(gw.seen.length, 1);
});

test('5xx answers are retried with backoff, then the last error rejects', async (t) => {
  const gw = await fakeGateway(t, (_n, _req, res) => problem(res, 503, 'SHUTTING_DOWN'));
  const client = new GatewayClient(gw.url, { reconnect: { ...fast, maxRetries: 3 } });
  await assert.rejects(client.watch(JOB_ID).done, (error) => {
    assert.ok(isGatewayClientError(error, 'SHUTTING_DOWN'));
    assert.equal(error.status, 503);
    return true;
  });
  assert.equal(gw.seen.length, 4, 'the first attempt and three retries');
});

test('4xx answers reject at once with the problem code', async (t) => {
  const gw = await fakeGateway(t, (_n, _req, res) => problem(res, 404, 'JOB_NOT_FOUND'));
  const client = new GatewayClient(gw.url, { reconnect: fast });
  await assert.rejects(client.watch(JOB_ID).done, (error) =>
    isGatewayClientError(error, 'JOB_NOT_FOUND'),
  );
  assert.equal(gw.seen.length, 1);
});

test('an answer that is not an event stream (a proxy page) is retried, then INVALID_RESPONSE', async (t) => {
  const gw = await fakeGateway(t, (_n, _req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hello</h1>'),
  );
  const client = new GatewayClient(gw.url, { reconnect: { ...fast, maxRetries: 1 } });
  await assert.rejects(client.watch(JOB_ID).done, (error) =>
    isGatewayClientError(error, 'INVALID_RESPONSE'),
  );
  assert.equal(gw.seen.length, 2);
});

test('an unreachable gateway rejects with NETWORK_ERROR once the retries are used up', async (t) => {
  const gw = await fakeGateway(t, (_n, req) => req.socket.destroy());
  const client = new GatewayClient(gw.url, { reconnect: { ...fast, maxRetries: 2 } });
  await assert.rejects(client.watch(JOB_ID).done, (error) =>
    isGatewayClientError(error, 'NETWORK_ERROR'),
  );
  assert.equal(gw.seen.length, 3);
});

test('a connection that goes silent is dropped after idleTimeoutMs and resumed', async (t) => {
  const gw = await fakeGateway(t, (n, _req, res) => {
    sse(res);
    if (n === 0) res.write(`${snapshot}${progress(1)}`);
    else res.end(`${snapshot}${progress(2)}${done('j.3')}`);
  });
  const seen: number[] = [];
  const client = new GatewayClient(gw.url, { reconnect: { ...fast, idleTimeoutMs: 100 } });
  await client.watch(JOB_ID, { progressHandler: (p) => seen.push(p) }).done;
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(
    gw.seen.map((s) => s.lastEventId),
    [undefined, 'j.1'],
  );
});

test('204 (resumed after done) resolves with the job as the gateway has it', async (t) => {
  const gw = await fakeGateway(t, (_n, req, res) => {
    if (req.url?.endsWith('/events')) res.writeHead(204).end();
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(job('succeeded')));
  });
  const statuses: string[] = [];
  const client = new GatewayClient(gw.url, { reconnect: fast });
  const final = await client.watch(JOB_ID, {
    lastEventId: 'j.9',
    statusHandler: (j) => statuses.push(j.status),
  }).done;
  assert.equal(final.status, 'succeeded');
  assert.deepEqual(statuses, ['succeeded']);
  assert.deepEqual(
    gw.seen.map((s) => [s.method, s.url, s.lastEventId]),
    [
      ['GET', `/v1/jobs/${JOB_ID}/events`, 'j.9'],
      ['GET', `/v1/jobs/${JOB_ID}`, undefined],
    ],
  );
});

test('close() while waiting to reconnect settles done with CLOSED at once', async (t) => {
  const gw = await fakeGateway(t, (_n, _req, res) => problem(res, 503, 'SHUTTING_DOWN'));
  const client = new GatewayClient(gw.url, {
    reconnect: { initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
  });
  const watch = client.watch(JOB_ID);
  await gw.next(0);
  watch.close();
  await assert.rejects(watch.done, (error) => {
    assert.ok(isGatewayClientError(error, 'CLOSED'));
    assert.equal(error.name, 'AbortError');
    return true;
  });
});

test('an abort before POST /v1/jobs answered still cancels the job it made', async (t) => {
  const controller = new AbortController();
  const gw = await fakeGateway(t, (n, req, res) => {
    if (n === 0) {
      // Answer the POST only once the caller has given up.
      controller.signal.addEventListener('abort', () =>
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify(job('queued'))),
      );
      controller.abort();
      return;
    }
    assert.equal(req.url, `/v1/jobs/${JOB_ID}/cancel`);
    res
      .writeHead(202, { 'content-type': 'application/json' })
      .end(JSON.stringify(job('cancelled')));
  });
  const client = new GatewayClient(gw.url, { reconnect: fast });
  await assert.rejects(
    client.callTool('demo', 'countdown', { seconds: 3 }, { signal: controller.signal }),
    (error) => {
      assert.ok(isGatewayClientError(error, 'CANCELLED'));
      assert.equal(error.name, 'AbortError');
      assert.equal(error.job?.status, 'cancelled');
      return true;
    },
  );
  assert.deepEqual(
    gw.seen.map((s) => `${s.method} ${s.url}`),
    ['POST /v1/jobs', `POST /v1/jobs/${JOB_ID}/cancel`],
  );
});
