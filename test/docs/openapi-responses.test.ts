/**
 * Every route's answers, error answers included, against openapi.yaml: real gateways with the
 * fixture MCP server (open, with API keys, with limits, on Redis, shutting down) are asked for
 * every documented operation, and every answer is checked by test/helpers/openapi-validator.ts
 * (status documented for the operation, Content-Type one of its media types, body valid against
 * that media type's schema, every event of a stream valid against its event schema, documented
 * headers present and valid, the common headers `info.description` promises).
 *
 * Coverage: once every test has run (an `after` hook, whatever their order), the file prints
 * which test produced each documented (operation, status) pair and fails when a pair was produced
 * by none and is not in NOT_TRIGGERABLE with the reason why, or when a pair in NOT_TRIGGERABLE was
 * produced after all. It judges the whole file only: when tests were left out
 * (--test-name-pattern, --test-only) or one failed (its own failure is the report), it says so and
 * checks nothing, so each test stands alone.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, test, type TestContext } from 'node:test';
import request from 'supertest';
import type { UpstreamConfig } from '../../src/config/index.js';
import {
  ROOT,
  everythingStdio,
  fixtureStdio,
  startGateway,
  type TestGateway,
} from '../helpers/gateway.js';
import { OpenApiDocument, type Exchange, type Verdict } from '../helpers/openapi-validator.js';
import { holdRequest, parseResponses, rawExchange } from '../helpers/raw-http.js';
import { redisForTests, startPrivateRedis } from '../helpers/redis.js';
import { registeredRoutes } from '../helpers/routes.js';
import { openSse } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

const spec = new OpenApiDocument();
const redis = await redisForTests();

const ALICE = 'alice-secret-0123456789';
const BOB = 'bob-secret-9876543210ab';
const KEYS_ENV = { API_KEYS: `alice:${ALICE},bob:${BOB}` };
const alice = { authorization: `Bearer ${ALICE}` };
const bob = { authorization: `Bearer ${BOB}` };
/** No key, an unknown key, a header that is not a bearer token. */
const NO_VALID_KEY: Array<Record<string, string>> = [
  {},
  { authorization: 'Bearer not-a-key' },
  { authorization: 'Basic YWxpY2U6eA==' },
];

/** Runs until cancelled (or ten minutes pass). */
const longCall = { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } };
const echo = { server: 'fixture', tool: 'echo', arguments: { hello: 'world' } };
/** An upstream whose command does not exist: every connection attempt fails. */
const down: UpstreamConfig = {
  name: 'down',
  transport: 'stdio',
  command: '/nonexistent/mcp-server',
  args: [],
  env: {},
  cwd: ROOT,
};
/** A well-formed job id no gateway made. */
const UNKNOWN_ID = '0'.repeat(26);
/** Not valid percent-encoding: Fastify cannot decode the path parameter. */
const BAD_SEGMENT = '%E0%A4%A';
const OVER_1_MIB = { ...echo, arguments: { s: 'x'.repeat(1 << 20) } };

// ---------------------------------------------------------------------------------------------
// Coverage: which test produced each (operation, status) pair.

/** `GET /v1/jobs/{id} 404` → the tests (with problem codes) that produced it. */
const hits = new Map<string, Set<string>>();
/** HEAD requests, by the GET operation that answered them. */
const headHits = new Map<string, Set<string>>();

/** Whether each test that ran passed (tests left out or skipped never get here). */
const outcomes: boolean[] = [];
afterEach((t) => {
  // `passed` is there since Node 20.12; @types/node 20 does not list it yet.
  outcomes.push((t as TestContext & { passed: boolean }).passed);
});

function record(verdict: Verdict, method: string, label: string): void {
  const head = method.toUpperCase() === 'HEAD';
  const key = head
    ? `HEAD ${verdict.operation.replace(/^GET /, '')} ${verdict.status}`
    : `${verdict.operation} ${verdict.status}`;
  const map = head ? headHits : hits;
  const set = map.get(key) ?? new Set<string>();
  set.add(verdict.code ? `${label} [${verdict.code}]` : label);
  map.set(key, set);
}

/**
 * Retry-After as its header description says: 5 s for these codes, until the rate window ends
 * for RATE_LIMITED, 2 s for STORE_UNAVAILABLE, none for SHUTTING_DOWN.
 */
const RETRY_AFTER: Record<string, RegExp | null> = {
  UPSTREAM_UNAVAILABLE: /^5$/,
  TOO_MANY_JOBS: /^5$/,
  TOO_MANY_QUEUED_JOBS: /^5$/,
  RATE_LIMITED: /^[1-9][0-9]*$/,
  STORE_UNAVAILABLE: /^2$/,
  SHUTTING_DOWN: null,
};

// ---------------------------------------------------------------------------------------------
// Talking to a gateway: every answer is checked against openapi.yaml and recorded.

/** A status, one of several (`/readyz`: 200 or 503), or a problem's status and code. */
type Expected = number | number[] | { status: number; code: string };

interface Checked {
  exchange: Exchange;
  verdict: Verdict;
  /** The body parsed, when it is JSON. */
  json: any;
}

interface SendOptions {
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A raw body, sent with `type` (default application/json). */
  raw?: string;
  type?: string;
}

let requestCount = 0;

/** Node's parser callback for superagent: the body as text, whatever its type. */
function readText(res: any, done: (error: Error | null, body: string) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => done(null, text));
}

class Api {
  constructor(
    readonly base: string,
    readonly label: string,
    readonly auth: Record<string, string> = {},
  ) {}

  as(auth: Record<string, string>): Api {
    return new Api(this.base, this.label, auth);
  }

  /** One request over the real socket; asserts the answer agrees with openapi.yaml. */
  async send(
    method: string,
    url: string,
    expected: Expected,
    options: SendOptions = {},
  ): Promise<Checked> {
    const requestId = `openapi-check.${++requestCount}`;
    const agent: any = request(this.base);
    let req = agent[method.toLowerCase()](url)
      .set({ 'x-request-id': requestId, ...this.auth, ...options.headers })
      .buffer(true)
      .parse(readText);
    if (options.json !== undefined) req = req.send(options.json);
    else if (options.raw !== undefined) {
      req = req.set('content-type', options.type ?? 'application/json').send(options.raw);
    }
    const res = await req;
    const exchange: Exchange = {
      method,
      url,
      status: res.status,
      headers: res.headers,
      body: typeof res.body === 'string' ? res.body : '',
    };
    return this.verify(exchange, expected, requestId);
  }

  /** GET on an event-stream route, read to its end (the jobs must end). */
  async stream(url: string, expected: Expected, headers: Record<string, string> = {}) {
    const requestId = `openapi-check.${++requestCount}`;
    const connection = await openSse(`${this.base}${url}`, {
      'x-request-id': requestId,
      ...this.auth,
      ...headers,
    });
    await connection.ended;
    const exchange: Exchange = {
      method: 'GET',
      url,
      status: connection.status,
      headers: connection.headers,
      body: connection.raw(),
    };
    return this.verify(exchange, expected, requestId);
  }

  verify(exchange: Exchange, expected: Expected, requestId?: string): Checked {
    const verdict = spec.check(exchange);
    record(verdict, exchange.method, this.label);
    const what = `${exchange.method} ${exchange.url.slice(0, 120)} → ${exchange.status}`;
    assert.deepEqual(verdict.problems, [], `${what} disagrees with openapi.yaml`);
    const statuses =
      typeof expected === 'number'
        ? [expected]
        : Array.isArray(expected)
          ? expected
          : [expected.status];
    assert.ok(
      statuses.includes(exchange.status),
      `${what}, expected ${statuses.join(' or ')}: ${exchange.body.slice(0, 500)}`,
    );
    if (typeof expected === 'object' && !Array.isArray(expected)) {
      assert.equal(verdict.code, expected.code, what);
    }
    if (requestId !== undefined) {
      assert.equal(exchange.headers['x-request-id'], requestId, `${what}: X-Request-Id echoed`);
    }
    if (verdict.code !== undefined && verdict.code in RETRY_AFTER) {
      const rule = RETRY_AFTER[verdict.code]!;
      const given = exchange.headers['retry-after'];
      if (rule === null) assert.equal(given, undefined, `${what}: no Retry-After`);
      else assert.match(String(given), rule, `${what}: Retry-After`);
    }
    let json: any;
    if (/json/.test(String(exchange.headers['content-type'])) && exchange.body !== '') {
      json = JSON.parse(exchange.body);
    }
    return { exchange, verdict, json };
  }

  /** POST /v1/jobs answered 202; the job. */
  async start(body: unknown, headers: Record<string, string> = {}): Promise<any> {
    const { json } = await this.send('POST', '/v1/jobs', 202, { json: body, headers });
    return json;
  }

  /** Reads the job until `accept(status)` holds. */
  async jobWhere(id: string, accept: (status: string) => boolean, what: string): Promise<any> {
    return waitUntil(
      async () => {
        const { json } = await this.send('GET', `/v1/jobs/${id}`, 200);
        return accept(json.status) ? json : undefined;
      },
      what,
      60_000,
    );
  }

  finished(id: string): Promise<any> {
    return this.jobWhere(
      id,
      (s) => ['succeeded', 'failed', 'cancelled'].includes(s),
      `job ${id} to finish`,
    );
  }
}

const api = (gw: TestGateway, t: TestContext, auth: Record<string, string> = {}) =>
  new Api(gw.url, t.fullName ?? t.name, auth);

/** Sends bytes on a fresh connection; resolves with everything the server sent back. */
/** The one HTTP/1.1 answer read off a socket, as an exchange to verify. */
function parseRawResponse(method: string, url: string, text: string): Exchange {
  const [response, ...more] = parseResponses(text);
  assert.equal(more.length, 0, 'one answer');
  assert.equal(response!.headers['transfer-encoding'], undefined, 'a Content-Length body');
  return { method, url, ...response! };
}

/**
 * Routes the app registers that openapi.yaml leaves out on purpose: parts of the pages it does
 * document, not API. (HEAD routes follow their GET route.)
 */
const UNDOCUMENTED: Record<string, string> = {
  'GET /docs/': 'the reference page again (@fastify/swagger-ui answers with and without the slash)',
  'GET /docs/static/index.html': "the reference page's own files (@fastify/swagger-ui)",
  'GET /docs/static/swagger-initializer.js': "the reference page's own files (@fastify/swagger-ui)",
  'GET /docs/*': "the reference page's scripts and styles (@fastify/swagger-ui)",
  'GET /docs/json': "the reference page's copy of /openapi.json (@fastify/swagger-ui)",
  'GET /docs/yaml': "the reference page's copy of /openapi.yaml (@fastify/swagger-ui)",
  'GET /dashboard/{file}': "the dashboard page's script and styles (and their source maps)",
  'OPTIONS *': 'CORS preflights (info.description, "Browsers"): the CORS protocol, not the API',
};

/** Concrete URLs for the path templates (`{id}` → a real job, `{name}` → the fixture). */
function fill(template: string, id: string): string {
  return template.replace('{id}', id).replace('{name}', 'fixture');
}

// ---------------------------------------------------------------------------------------------

describe('open gateway', () => {
  let gw: TestGateway;
  /** Finished jobs, one per shape a job can take: progress, logs, a result, each kind of error. */
  const jobs: Record<string, any> = {};

  before(async () => {
    gw = await startGateway(undefined, {
      upstreams: [fixtureStdio(), down],
      env: { JOB_MAX_TIMEOUT_MS: '600000' },
    });
    const setup = new Api(gw.url, 'open gateway (setup)');
    const started: Record<string, any> = {
      progress: await setup.start({
        server: 'fixture',
        tool: 'slow',
        arguments: { steps: 3, intervalMs: 5 },
      }),
      logs: await setup.start({ server: 'fixture', tool: 'log', arguments: { count: 3 } }),
      noTotal: await setup.start({ server: 'fixture', tool: 'burst', arguments: { count: 5 } }),
      hostile: await setup.start({ server: 'fixture', tool: 'hostile' }),
      image: await setup.start({ server: 'fixture', tool: 'image' }),
      toolError: await setup.start({ server: 'fixture', tool: 'tool_error' }),
      upstreamError: await setup.start({ server: 'fixture', tool: 'throw' }),
      timeout: await setup.start({ ...longCall, options: { timeoutMs: 200 } }),
      idle: await setup.start({ ...longCall, options: { idleTimeoutMs: 200 } }),
    };
    for (const [name, job] of Object.entries(started)) jobs[name] = await setup.finished(job.id);
    assert.equal(jobs.progress.status, 'succeeded');
    assert.equal(jobs.toolError.error.code, 'TOOL_ERROR');
    assert.equal(jobs.upstreamError.error.code, 'UPSTREAM_ERROR');
    assert.equal(jobs.timeout.error.code, 'JOB_TIMEOUT');
    assert.equal(jobs.idle.error.code, 'JOB_IDLE_TIMEOUT');
  });
  after(() => gw?.close());

  test('health, readiness, servers and tools', async (t) => {
    const a = api(gw, t);
    await a.send('GET', '/healthz', 200);
    // 200 or 503 (not ready until an upstream is connected, when readiness asks for one).
    await waitUntil(
      async () => (await a.send('GET', '/readyz', [200, 503])).exchange.status === 200,
      'the gateway to be ready',
      60_000,
    );
    const { json } = await a.send('GET', '/v1/servers', 200);
    assert.deepEqual(
      json.servers.map((s: any) => s.name),
      ['fixture', 'down'],
    );
    await a.send('GET', '/v1/servers/fixture/tools', 200);
    await a.send('GET', '/v1/servers/nope/tools', { status: 404, code: 'UNKNOWN_SERVER' });
    await a.send('GET', `/v1/servers/${BAD_SEGMENT}/tools`, {
      status: 400,
      code: 'INVALID_REQUEST',
    });
    await a.send('GET', '/v1/servers/down/tools', { status: 503, code: 'UPSTREAM_UNAVAILABLE' });
    // The failed upstream now shows its state and last error.
    await a.send('GET', '/v1/servers', 200);
  });

  test('starting jobs', async (t) => {
    const a = api(gw, t);
    const bad = (status: number, code: string, options: SendOptions) =>
      a.send('POST', '/v1/jobs', { status, code }, options);
    const job = await a.start(echo);
    assert.equal((await a.finished(job.id)).status, 'succeeded');

    // Idempotency: the same key and body again is 200 with the same job; another body 409.
    const key = { 'idempotency-key': 'openapi-responses-1' };
    const first = await a.send('POST', '/v1/jobs', 202, { json: echo, headers: key });
    const again = await a.send('POST', '/v1/jobs', 200, { json: echo, headers: key });
    assert.equal(again.json.id, first.json.id);
    assert.equal(again.exchange.headers.location, `/v1/jobs/${first.json.id}`);
    await bad(409, 'IDEMPOTENCY_CONFLICT', {
      json: { ...echo, arguments: { other: 1 } },
      headers: key,
    });
    await bad(400, 'INVALID_REQUEST', { json: echo, headers: { 'idempotency-key': 'has space' } });

    await bad(400, 'INVALID_REQUEST', { raw: '{"server":' });
    await bad(400, 'INVALID_REQUEST', { raw: '' });
    await bad(400, 'INVALID_REQUEST', { json: { server: 'fixture' } });
    await bad(400, 'INVALID_REQUEST', { json: { ...echo, options: { timeoutMs: 'soon' } } });
    await bad(400, 'INVALID_REQUEST', { json: { ...echo, options: { timeoutMs: 600_001 } } });
    await bad(400, 'INVALID_ARGUMENTS', {
      json: { server: 'fixture', tool: 'strict_args', arguments: { name: '', count: 11 } },
    });
    await bad(404, 'UNKNOWN_SERVER', { json: { ...echo, server: 'nope' } });
    await bad(404, 'UNKNOWN_TOOL', { json: { ...echo, tool: 'no_such_tool' } });
    await bad(413, 'BODY_TOO_LARGE', { json: OVER_1_MIB });
    await bad(415, 'UNSUPPORTED_MEDIA_TYPE', { raw: JSON.stringify(echo), type: 'text/plain' });
    await bad(503, 'UPSTREAM_UNAVAILABLE', { json: { ...echo, server: 'down' } });
  });

  test('reading and listing jobs', async (t) => {
    const a = api(gw, t);
    for (const job of Object.values(jobs)) await a.send('GET', `/v1/jobs/${job.id}`, 200);
    await a.send('GET', `/v1/jobs/${UNKNOWN_ID}`, { status: 404, code: 'JOB_NOT_FOUND' });
    await a.send('GET', '/v1/jobs/not-an-id', { status: 404, code: 'JOB_NOT_FOUND' });
    await a.send('GET', `/v1/jobs/${BAD_SEGMENT}`, { status: 400, code: 'INVALID_REQUEST' });

    const page = await a.send('GET', '/v1/jobs?limit=2', 200);
    assert.equal(page.json.jobs.length, 2);
    assert.equal(typeof page.json.next, 'string');
    await a.send('GET', `/v1/jobs?limit=2&cursor=${page.json.next}`, 200);
    await a.send('GET', '/v1/jobs?status=failed&server=fixture&limit=100', 200);
    await a.send('GET', '/v1/jobs?status=queued', 200);
    for (const query of ['limit=0', 'status=done', 'cursor=..%2F..', 'page=2']) {
      await a.send('GET', `/v1/jobs?${query}`, { status: 400, code: 'INVALID_REQUEST' });
    }
  });

  test('event streams', async (t) => {
    const a = api(gw, t);
    // Replayed: every kind of event, every final state.
    for (const job of Object.values(jobs)) {
      const { verdict } = await a.stream(`/v1/jobs/${job.id}/events`, 200);
      assert.equal(verdict.events.at(-1)?.event, 'done');
    }
    // Live: events arrive while the job runs.
    const live = await a.start({
      server: 'fixture',
      tool: 'slow',
      arguments: { steps: 5, intervalMs: 20 },
    });
    const { verdict } = await a.stream(`/v1/jobs/${live.id}/events`, 200);
    const events = verdict.events;
    assert.ok(events.filter((e) => e.event === 'progress').length >= 1);
    const doneId = events.at(-1)!.id!;
    const middle = events.find((e) => e.event === 'progress')!.id!;
    await a.stream(`/v1/jobs/${live.id}/events`, 200, { 'last-event-id': middle });
    await a.stream(`/v1/jobs/${live.id}/events?lastEventId=${encodeURIComponent(middle)}`, 200);
    await a.stream(`/v1/jobs/${live.id}/events`, 200, { 'last-event-id': 'not-an-id' });
    await a.stream(`/v1/jobs/${live.id}/events`, 204, { 'last-event-id': doneId });
    await a.stream(`/v1/jobs/${UNKNOWN_ID}/events`, { status: 404, code: 'JOB_NOT_FOUND' });
    await a.stream(`/v1/jobs/${BAD_SEGMENT}/events`, { status: 400, code: 'INVALID_REQUEST' });

    // Several jobs on one connection.
    const ids = [jobs.progress.id, jobs.logs.id, jobs.hostile.id, jobs.toolError.id];
    const query = ids.map((id) => `job=${id}`).join('&');
    const many = await a.stream(`/v1/events?${query}`, 200);
    const cursor = many.verdict.events.at(-1)!.id!;
    await a.stream(`/v1/events?${query}`, 204, { 'last-event-id': cursor });
    await a.stream(`/v1/events?${query}&lastEventId=${encodeURIComponent(cursor)}`, 204);
    const running = await a.start({
      server: 'fixture',
      tool: 'slow',
      arguments: { steps: 3, intervalMs: 20 },
    });
    await a.stream(`/v1/events?job=${running.id}&job=${jobs.logs.id}`, 200);
    await a.stream('/v1/events', { status: 400, code: 'INVALID_REQUEST' });
    const tooMany = Array.from({ length: 51 }, (_v, i) => `job=${String(i).padStart(26, '0')}`);
    await a.stream(`/v1/events?${tooMany.join('&')}`, { status: 400, code: 'INVALID_REQUEST' });
    await a.stream(`/v1/events?job=${jobs.progress.id}&job=${UNKNOWN_ID}`, {
      status: 404,
      code: 'JOB_NOT_FOUND',
    });
  });

  test('stream tokens', async (t) => {
    const a = api(gw, t);
    const ids = [jobs.progress.id, jobs.logs.id];
    const { json } = await a.send('POST', '/v1/stream-tokens', 200, { json: { jobs: ids } });
    assert.equal(json.token, null);
    await a.stream(json.url, 200);
    const invalid = { status: 400, code: 'INVALID_REQUEST' };
    await a.send('POST', '/v1/stream-tokens', invalid, { json: { jobs: [] } });
    await a.send('POST', '/v1/stream-tokens', invalid, { json: { job: ids } });
    await a.send('POST', '/v1/stream-tokens', invalid, {});
    await a.send('POST', '/v1/stream-tokens', invalid, { raw: '{"jobs":[' });
    await a.send(
      'POST',
      '/v1/stream-tokens',
      { status: 404, code: 'JOB_NOT_FOUND' },
      { json: { jobs: [ids[0], UNKNOWN_ID] } },
    );
    await a.send(
      'POST',
      '/v1/stream-tokens',
      { status: 413, code: 'BODY_TOO_LARGE' },
      { json: { jobs: ids, padding: 'x'.repeat(1 << 20) } },
    );
    await a.send(
      'POST',
      '/v1/stream-tokens',
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { raw: JSON.stringify({ jobs: ids }), type: 'text/plain' },
    );
  });

  test('cancelling and deleting jobs', async (t) => {
    const a = api(gw, t);
    const running = await a.start(longCall);
    await a.send('DELETE', `/v1/jobs/${running.id}`, { status: 409, code: 'JOB_RUNNING' });
    const cancelled = await a.send('POST', `/v1/jobs/${running.id}/cancel`, 202, {
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(cancelled.json.status, 'cancelled');
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, { status: 409, code: 'JOB_FINISHED' });
    await a.send('DELETE', `/v1/jobs/${running.id}`, 204);
    await a.send('DELETE', `/v1/jobs/${running.id}`, { status: 404, code: 'JOB_NOT_FOUND' });
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, { status: 404, code: 'JOB_NOT_FOUND' });

    // A body is not needed; one that is sent must be JSON, at most 1 MiB.
    const other = await a.start(longCall);
    for (const [method, url] of [
      ['POST', `/v1/jobs/${other.id}/cancel`],
      ['DELETE', `/v1/jobs/${other.id}`],
    ] as const) {
      await a.send(method, url, { status: 400, code: 'INVALID_REQUEST' }, { raw: '{"x":' });
      await a.send(method, url, { status: 413, code: 'BODY_TOO_LARGE' }, { json: OVER_1_MIB });
      await a.send(
        method,
        url,
        { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { raw: 'please', type: 'text/plain' },
      );
      const bad = url.replace(other.id, BAD_SEGMENT);
      await a.send(method, bad, { status: 400, code: 'INVALID_REQUEST' });
    }
    // Answers to input requests: a job with none open, and bodies that are not answers.
    const input = `/v1/jobs/${other.id}/input`;
    const decline = { requestId: 'AAAAAAAAAAAAAAAA', action: 'decline' };
    await a.send('POST', input, { status: 409, code: 'INPUT_NOT_PENDING' }, { json: decline });
    await a.send('POST', input, { status: 400, code: 'INVALID_REQUEST' }, { json: { action: 1 } });
    await a.send('POST', input, { status: 413, code: 'BODY_TOO_LARGE' }, { json: OVER_1_MIB });
    await a.send(
      'POST',
      input,
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { raw: 'please', type: 'text/plain' },
    );
    await a.send(
      'POST',
      `/v1/jobs/${'0'.repeat(26)}/input`,
      { status: 404, code: 'JOB_NOT_FOUND' },
      { json: decline },
    );
    await a.send('POST', `/v1/jobs/${other.id}/cancel`, 202, { json: { reason: 'ignored' } });
    await a.send('DELETE', `/v1/jobs/${other.id}`, 204, { json: {} });
  });

  test('metrics, the API description, its reference page and the dashboard', async (t) => {
    const a = api(gw, t);
    const metrics = await a.send('GET', '/metrics', 200);
    assert.match(metrics.exchange.body, /^gateway_jobs_started_total\{/m);
    const json = await a.send('GET', '/openapi.json', 200);
    assert.deepEqual(json.json, spec.doc);
    await a.send('GET', '/openapi.yaml', 200);
    await a.send('GET', '/docs', 200);
    // Run from source, the dashboard is built on first request.
    const page = await a.send('GET', '/', 200);
    const etag = String(page.exchange.headers.etag);
    await a.send('GET', '/', 304, { headers: { 'if-none-match': etag } });
    await a.send('GET', '/', 200, { headers: { 'if-none-match': '"something-else"' } });
  });

  test('every route the app registers is documented, or listed as not with the reason', () => {
    const documented = new Set(spec.operations.map((op) => op.key));
    const registered = registeredRoutes(gw.app).map(
      (r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`,
    );
    for (const route of registered) {
      // Every GET route also answers HEAD (Fastify's exposeHeadRoutes).
      const get = route.replace(/^HEAD /, 'GET ');
      if (route.startsWith('HEAD ') && (documented.has(get) || get in UNDOCUMENTED)) continue;
      assert.ok(
        documented.has(route) || route in UNDOCUMENTED,
        `${route} is registered, but neither in openapi.yaml nor in UNDOCUMENTED`,
      );
    }
    for (const route of Object.keys(UNDOCUMENTED)) {
      assert.ok(registered.includes(route), `UNDOCUMENTED lists ${route}, which is not registered`);
      assert.ok(
        !documented.has(route),
        `UNDOCUMENTED lists ${route}, which openapi.yaml documents`,
      );
    }
  });

  test('routes that do not exist', async (t) => {
    const a = api(gw, t);
    const notFound = { status: 404, code: 'ROUTE_NOT_FOUND' };
    await a.send('GET', '/v1/nothing-here', notFound);
    await a.send('DELETE', '/v1/servers', notFound);
    await a.send('PUT', `/v1/jobs/${jobs.progress.id}`, notFound, { json: {} });
    await a.send('GET', '/v1/jobs/../../etc/passwd', notFound);
    await a.send('POST', '/healthz', notFound, { raw: 'x', type: 'text/plain' });
  });

  test('HEAD on every GET operation answers as GET would, without a body', async (t) => {
    const a = api(gw, t);
    const job = jobs.progress.id;
    const urls: Record<string, string> = {
      '/v1/events': `/v1/events?job=${job}`,
    };
    for (const op of spec.operations.filter((o) => o.method === 'GET')) {
      const url = urls[op.path] ?? fill(op.path, job);
      const expected = op.path === '/readyz' ? [200, 503] : 200;
      await a.send('HEAD', url, expected);
    }
    // A HEAD answer has no body, so no problem code to compare.
    await a.send('HEAD', `/v1/jobs/${UNKNOWN_ID}`, 404);
    await a.send('HEAD', `/v1/jobs/${UNKNOWN_ID}/events`, 404);
    await a.send('HEAD', '/v1/servers/nope/tools', 404);
    await a.send('HEAD', '/v1/nothing-here', 404);
  });
});

test('readiness with no upstream that can connect', async (t) => {
  const gw = await startGateway(t, { upstreams: [down] });
  const a = api(gw, t);
  // Whether upstreams count is READINESS_UPSTREAMS's business; either answer must validate.
  await a.send('GET', '/readyz', [200, 503]);
  await waitUntil(
    async () => (await a.send('GET', '/v1/servers', 200)).json.servers[0].state === 'failed',
    'the upstream to fail',
  );
  await a.send('GET', '/readyz', [200, 503]);
});

describe('with API keys', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(undefined, { env: KEYS_ENV });
  });
  after(() => gw?.close());

  test('every /v1 operation without a valid key is 401', async (t) => {
    const a = new Api(gw.url, t.fullName ?? t.name);
    const job = await a.as(alice).start(echo);
    await a.as(alice).finished(job.id);
    const bodies: Record<string, unknown> = {
      'POST /v1/jobs': echo,
      'POST /v1/stream-tokens': { jobs: [job.id] },
    };
    const unauthorized = { status: 401, code: 'UNAUTHORIZED' };
    const v1 = spec.operations.filter((op) => op.path.startsWith('/v1/'));
    assert.ok(v1.length >= 10);
    for (const op of v1) {
      const url = op.path === '/v1/events' ? `/v1/events?job=${job.id}` : fill(op.path, job.id);
      for (const auth of NO_VALID_KEY) {
        const caller = a.as(auth);
        if (op.path.endsWith('/events')) await caller.stream(url, unauthorized);
        else {
          const json = bodies[op.key];
          await caller.send(op.method, url, unauthorized, json ? { json } : {});
        }
      }
    }
    // Stream tokens open only the streams of the jobs they name.
    const other = await a.as(alice).start(echo);
    const token = new URL(job.links.events, gw.url).searchParams.get('token')!;
    assert.ok(token);
    await a.stream(`/v1/jobs/${other.id}/events?token=${token}`, unauthorized);
    await a.stream(`/v1/events?job=${other.id}&token=${token}`, unauthorized);
    await a.stream(`/v1/jobs/${job.id}/events?token=${token}x`, unauthorized);
    await a.send('GET', `/v1/jobs/${job.id}?token=${token}`, unauthorized);
  });

  test('a key sees only its own jobs; stream tokens open their streams', async (t) => {
    const a = api(gw, t, alice);
    const job = await a.start(echo);
    assert.match(job.links.events, /\?token=/);
    await a.finished(job.id);
    const b = a.as(bob);
    await b.send('GET', `/v1/jobs/${job.id}`, { status: 404, code: 'JOB_NOT_FOUND' });
    await b.send('POST', `/v1/jobs/${job.id}/cancel`, { status: 404, code: 'JOB_NOT_FOUND' });
    await b.send('DELETE', `/v1/jobs/${job.id}`, { status: 404, code: 'JOB_NOT_FOUND' });
    await b.stream(`/v1/jobs/${job.id}/events`, { status: 404, code: 'JOB_NOT_FOUND' });
    await b.stream(`/v1/events?job=${job.id}`, { status: 404, code: 'JOB_NOT_FOUND' });
    await b.send(
      'POST',
      '/v1/stream-tokens',
      { status: 404, code: 'JOB_NOT_FOUND' },
      { json: { jobs: [job.id] } },
    );
    const listed = await b.send('GET', '/v1/jobs', 200);
    assert.deepEqual(listed.json.jobs, []);

    // No Authorization header: the token in links.events is enough for that stream.
    const anonymous = a.as({});
    await anonymous.stream(job.links.events, 200);
    const tokens = await a.send('POST', '/v1/stream-tokens', 200, { json: { jobs: [job.id] } });
    assert.equal(typeof tokens.json.token, 'string');
    await anonymous.stream(tokens.json.url, 200);
    await a.send('GET', `/v1/jobs/${job.id}`, 200);
    await a.send('GET', '/v1/jobs', 200);
    await a.send('GET', '/v1/servers', 200);
    await a.send('GET', '/v1/servers/fixture/tools', 200);
    // Health, metrics and the API description need no key.
    for (const url of ['/healthz', '/metrics', '/openapi.json', '/openapi.yaml', '/docs']) {
      await anonymous.send('GET', url, 200);
    }
    await anonymous.send('GET', '/readyz', [200, 503]);
  });
});

describe('limits', () => {
  test('RATE_LIMITED', async (t) => {
    const gw = await startGateway(t, { env: { RATE_LIMIT_JOBS_PER_MINUTE: '1' } });
    const a = api(gw, t);
    await a.start(echo);
    await a.send('POST', '/v1/jobs', { status: 429, code: 'RATE_LIMITED' }, { json: echo });
  });

  test('queued jobs and TOO_MANY_QUEUED_JOBS', async (t) => {
    const gw = await startGateway(t, {
      env: { ...KEYS_ENV, MAX_RUNNING_JOBS_PER_KEY: '1', MAX_QUEUED_JOBS_PER_KEY: '1' },
    });
    const a = api(gw, t, alice);
    const running = await a.start(longCall);
    const queued = await a.start(echo);
    assert.equal(queued.status, 'queued');
    await a.send('POST', '/v1/jobs', { status: 429, code: 'TOO_MANY_QUEUED_JOBS' }, { json: echo });
    assert.equal((await a.send('GET', `/v1/jobs/${queued.id}`, 200)).json.status, 'queued');
    await a.send('GET', '/v1/jobs?status=queued', 200);
    const cancelled = await a.send('POST', `/v1/jobs/${queued.id}/cancel`, 202);
    assert.equal(cancelled.json.startedAt, null);
    await a.stream(`/v1/jobs/${queued.id}/events`, 200);
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, 202);
  });

  test('TOO_MANY_JOBS', async (t) => {
    const gw = await startGateway(t, { env: { MAX_JOBS: '1' } });
    const a = api(gw, t);
    const running = await a.start(longCall);
    await a.send('POST', '/v1/jobs', { status: 503, code: 'TOO_MANY_JOBS' }, { json: echo });
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, 202);
  });
});

test('shutting down: a job asked for while the gateway stops is 503 SHUTTING_DOWN', async (t) => {
  const gw = await startGateway(t);
  const a = api(gw, t);
  const running = await a.start(longCall);
  // The request's head reaches its route before close() begins; its body arrives after.
  const held = await holdRequest(t, gw, '/v1/jobs', JSON.stringify(echo), 'openapi-check.shutdown');
  const closing = gw.close();
  // Shutdown has begun once it has cancelled the running job.
  await waitUntil(
    async () => (await gw.app.gateway.store.get(running.id))?.status === 'cancelled',
    'shutdown to cancel the running job',
  );
  const [answer, ...more] = await held.finish();
  assert.equal(more.length, 0);
  a.verify({ method: 'POST', url: '/v1/jobs', ...answer! }, { status: 503, code: 'SHUTTING_DOWN' });
  await closing;
});

test('internal errors are 500 INTERNAL_ERROR problems on every route that documents them', async (t) => {
  const gw = await startGateway(t);
  const a = api(gw, t);
  const job = await a.start(echo);
  await a.finished(job.id);
  const internal = { status: 500, code: 'INTERNAL_ERROR' };
  const { store, pool } = gw.app.gateway;
  const failure = () => new Error('forced failure at /work/secret/store.ts:1:1');
  // Only to reach the failure branch: each part fails as a bug would (rejects, or throws).
  const restore: Array<() => void> = [];
  const force = <T extends object>(target: T, name: keyof T, sync = false) => {
    const original = target[name];
    const fail = sync
      ? () => {
          throw failure();
        }
      : async () => {
          throw failure();
        };
    target[name] = fail as T[keyof T];
    restore.push(() => (target[name] = original));
  };
  t.after(() => restore.forEach((undo) => undo()));

  force(store, 'list');
  force(store, 'get');
  force(store, 'insert');
  await a.send('POST', '/v1/jobs', internal, { json: echo });
  await a.send('GET', '/v1/jobs', internal);
  await a.send('GET', `/v1/jobs/${job.id}`, internal);
  await a.send('DELETE', `/v1/jobs/${job.id}`, internal);
  await a.send('POST', `/v1/jobs/${job.id}/cancel`, internal);
  await a.send('POST', `/v1/jobs/${job.id}/input`, internal, {
    json: { requestId: 'AAAAAAAAAAAAAAAA', action: 'decline' },
  });
  await a.stream(`/v1/jobs/${job.id}/events`, internal);
  await a.stream(`/v1/events?job=${job.id}`, internal);
  await a.send('POST', '/v1/stream-tokens', internal, { json: { jobs: [job.id] } });
  force(pool, 'statuses', true);
  force(pool, 'tools');
  await a.send('GET', '/v1/servers', internal);
  await a.send('GET', '/v1/servers/fixture/tools', internal);
  restore.forEach((undo) => undo());
  restore.length = 0;
  await a.send('GET', '/v1/servers', 200);
});

test('requests that are not valid HTTP/1.1, on any path', async (t) => {
  const gw = await startGateway(t);
  const port = Number(new URL(gw.url).port);
  const a = api(gw, t);
  const cases: Array<[string, string, number, string]> = [
    ['GET', 'GET /v1/servers HTTP/1.1\r\nHost: x\r\nX-Bad: a\x7fb\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['GET', 'GET /v1 /servers HTTP/9\r\n\r\n', 400, 'INVALID_REQUEST'],
    [
      'GET',
      `GET /v1/servers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ];
  for (const [method, bytes, status, code] of cases) {
    const exchange = parseRawResponse(method, '/v1/servers', await rawExchange(port, bytes));
    a.verify({ ...exchange, url: '(any path)' }, { status, code });
  }
  // Headers that do not arrive in time. Node looks for such requests every 30 s (its
  // connectionsCheckingInterval); the gateway keeps Node's 60 s headersTimeout, shortened here.
  gw.app.server.headersTimeout = 100;
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('GET /v1/servers HTTP/1.1\r\nHost: x\r\n');
  await closed;
  const exchange = parseRawResponse('GET', '(any path)', received);
  a.verify(exchange, { status: 408, code: 'REQUEST_TIMEOUT' });
});

// Only to know whether Redis tests run here: this test starts a Redis of its own, to stop it.
test(
  'on Redis: the same answers, and 503 STORE_UNAVAILABLE while Redis is down',
  { skip: redis.skip },
  async (t) => {
    const server = await startPrivateRedis();
    const started: TestGateway[] = [];
    // The gateway closes while its Redis is up (its last writes), then the server goes.
    t.after(async () => {
      await server.start().catch(() => {});
      for (const gateway of started) await gateway.close();
      await server.dispose();
    });
    const gw = await startGateway(undefined, { env: { STORE: 'redis', REDIS_URL: server.url } });
    started.push(gw);
    const a = api(gw, t);
    const job = await a.start({
      server: 'fixture',
      tool: 'slow',
      arguments: { steps: 3, intervalMs: 5 },
    });
    await a.finished(job.id);
    const logs = await a.start({ server: 'fixture', tool: 'log', arguments: { count: 2 } });
    await a.finished(logs.id);
    await a.send('GET', `/v1/jobs/${job.id}`, 200);
    await a.send('GET', '/v1/jobs', 200);
    const { verdict } = await a.stream(`/v1/jobs/${job.id}/events`, 200);
    await a.stream(`/v1/jobs/${job.id}/events`, 204, {
      'last-event-id': verdict.events.at(-1)!.id!,
    });
    const many = await a.stream(`/v1/events?job=${job.id}&job=${logs.id}`, 200);
    await a.stream(`/v1/events?job=${job.id}&job=${logs.id}`, 204, {
      'last-event-id': many.verdict.events.at(-1)!.id!,
    });
    await a.send('POST', '/v1/stream-tokens', 200, { json: { jobs: [job.id] } });
    const running = await a.start(longCall);
    await a.send('DELETE', `/v1/jobs/${running.id}`, { status: 409, code: 'JOB_RUNNING' });
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, 202);
    await a.send('POST', `/v1/jobs/${running.id}/cancel`, { status: 409, code: 'JOB_FINISHED' });
    await a.send('DELETE', `/v1/jobs/${running.id}`, 204);
    await waitUntil(
      async () => (await a.send('GET', '/readyz', [200, 503])).exchange.status === 200,
      'the gateway to be ready',
      60_000,
    );

    await server.stop();
    await waitUntil(
      async () => (await a.send('GET', '/readyz', [200, 503])).exchange.status === 503,
      'readiness to report the outage',
      60_000,
    );
    const down = { status: 503, code: 'STORE_UNAVAILABLE' };
    await a.send('POST', '/v1/jobs', down, { json: echo });
    await a.send('GET', '/v1/jobs', down);
    await a.send('GET', `/v1/jobs/${job.id}`, down);
    await a.send('DELETE', `/v1/jobs/${job.id}`, down);
    await a.send('POST', `/v1/jobs/${job.id}/cancel`, down);
    await a.send('POST', `/v1/jobs/${job.id}/input`, down, {
      json: { requestId: 'AAAAAAAAAAAAAAAA', action: 'decline' },
    });
    await a.stream(`/v1/jobs/${job.id}/events`, down);
    await a.stream(`/v1/events?job=${job.id}`, down);
    await a.send('POST', '/v1/stream-tokens', down, { json: { jobs: [job.id] } });
    // Nothing else needs the store.
    await a.send('GET', '/healthz', 200);
    await a.send('GET', '/v1/servers', 200);
    await a.send('GET', '/v1/servers/fixture/tools', 200);
  },
);

// ---------------------------------------------------------------------------------------------

/**
 * What a route that does not exist, or a request that is not valid HTTP/1.1, gets on any path
 * (`info.description`, "Errors"). Not operations, so listed here.
 */
const ANY_PATH = ['ANY 400', 'ANY 404', 'ANY 408', 'ANY 431'];

/**
 * Documented pairs no test here produces with real parts, each with the reason. Keep it short:
 * the coverage check fails when a pair listed here is produced after all.
 */
const NOT_TRIGGERABLE: Record<string, string> = {
  // registerDashboard answers it only when dist/dashboard is missing and the gateway runs from
  // dist/; run from source (as here), it builds the dashboard on first request instead.
  'GET / 404': 'needs a built gateway (dist/) without its dashboard build',
};

/** Pairs only the Redis test produces: when Redis is not available they are skipped, not missed. */
const REDIS_ONLY = new Set<string>(
  [
    'GET /v1/jobs',
    'GET /v1/jobs/{id}',
    'DELETE /v1/jobs/{id}',
    'POST /v1/jobs/{id}/cancel',
    'POST /v1/jobs/{id}/input',
    'GET /v1/jobs/{id}/events',
    'GET /v1/events',
    'POST /v1/stream-tokens',
  ].map((op) => `${op} 503`),
);

test('answering an input request: a misfit answer, then the answer', async (t) => {
  const gw = await startGateway(t, { upstreams: [everythingStdio()] });
  const a = api(gw, t);
  const job = await a.start({
    server: 'everything',
    tool: 'simulate-research-query',
    arguments: { topic: 'python', ambiguous: true },
  });
  const asked = await waitUntil(
    async () =>
      (await a.send('GET', `/v1/jobs/${job.id}`, 200)).json.pendingInput?.[0] as
        { requestId: string } | undefined,
    'the input request',
    60_000,
  );
  const input = `/v1/jobs/${job.id}/input`;
  const misfit = await a.send(
    'POST',
    input,
    { status: 400, code: 'INVALID_INPUT' },
    { json: { requestId: asked.requestId, action: 'accept', content: { interpretation: 7 } } },
  );
  assert.equal(misfit.json.errors[0].pointer, '/content/interpretation');
  const answered = await a.send('POST', input, 202, {
    json: { requestId: asked.requestId, action: 'decline' },
  });
  assert.deepEqual(answered.json.pendingInput, []);
});

/** Runs after every test of the file, in whatever order they ran. */
after((context) => {
  // A top-level hook runs in the file's root test: a TestContext.
  const t = context as TestContext;
  const filters = process.execArgv.filter((arg) =>
    /^--test-(?:name-pattern|skip-pattern|only)\b/.test(arg),
  );
  if (filters.length > 0) {
    t.diagnostic(`coverage not checked: tests were selected (${filters.join(' ')})`);
    return;
  }
  const failed = outcomes.filter((passed) => !passed).length;
  if (failed > 0) {
    t.diagnostic(`coverage not checked: ${failed} test(s) failed`);
    return;
  }
  checkCoverage(t);
});

/** Every documented (operation, status) pair was produced, or NOT_TRIGGERABLE says why not. */
function checkCoverage(t: TestContext): void {
  const pairs = [
    ...spec.operations.flatMap((op) => op.statuses.map((status) => `${op.key} ${status}`)),
    ...ANY_PATH,
  ];
  const missing: string[] = [];
  const rows: string[] = [];
  let hit = 0;
  let allowed = 0;
  let skipped = 0;
  for (const pair of pairs) {
    const by = hits.get(pair);
    if (by) {
      hit++;
      rows.push(`hit      ${pair}  ←  ${[...by].join('; ')}`);
      assert.ok(
        !(pair in NOT_TRIGGERABLE),
        `${pair} is in NOT_TRIGGERABLE but was produced: remove it from the list`,
      );
    } else if (pair in NOT_TRIGGERABLE) {
      allowed++;
      rows.push(`allowed  ${pair}  —  ${NOT_TRIGGERABLE[pair]}`);
    } else if (redis.skip && REDIS_ONLY.has(pair)) {
      skipped++;
      rows.push(`skipped  ${pair}  —  ${redis.skip}`);
    } else {
      missing.push(pair);
      rows.push(`MISSING  ${pair}`);
    }
  }
  for (const pair of Object.keys(NOT_TRIGGERABLE)) {
    assert.ok(pairs.includes(pair), `NOT_TRIGGERABLE lists ${pair}, which is not documented`);
  }
  for (const pair of hits.keys()) {
    assert.ok(pairs.includes(pair), `${pair} was produced but is not documented`);
  }
  // Every GET operation was also asked with HEAD.
  for (const op of spec.operations.filter((o) => o.method === 'GET')) {
    const heads = [...headHits.keys()].filter((k) => k.startsWith(`HEAD ${op.path} `));
    assert.ok(heads.length > 0, `HEAD ${op.path} was never asked`);
    rows.push(`head     HEAD ${op.path}  →  ${heads.map((k) => k.split(' ').at(-1)).join(', ')}`);
  }
  t.diagnostic(
    `${pairs.length} documented pairs: ${hit} hit, ${allowed} not triggerable, ${skipped} skipped`,
  );
  for (const row of rows) t.diagnostic(row);
  assert.deepEqual(missing, [], 'documented pairs no test produced (and not in NOT_TRIGGERABLE)');
}
