import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Response } from 'supertest';
import { fixtureStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { LEAK, problem } from '../helpers/problem.js';
import { waitUntil } from '../helpers/wait.js';
import { openSse, parsed } from '../helpers/sse-client.js';

// prettier-ignore
const JOB_FIELDS = ['createdAt', 'error', 'finishedAt', 'id', 'lastInput', 'links', 'pendingInput', 'progress', 'result', 'server', 'startedAt', 'status', 'statusMessage', 'task', 'tool'];
const JOB_ID = /^[0-9a-v]{26}$/;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls GET /v1/jobs/{id} until the job has ended; returns its body. */
async function finished(gw: TestGateway, id: string) {
  return waitUntil(async () => {
    const res = await gw.http.get(`/v1/jobs/${id}`);
    assert.equal(res.status, 200, res.text);
    return FINAL.has(res.body.status) ? res.body : undefined;
  }, `job ${id} to end`);
}

async function stillServes(gw: TestGateway): Promise<void> {
  const res = await gw.http.get('/healthz');
  assert.equal(res.status, 200);
}

const slowLong = { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } };

/**
 * Asserts that `value` is a timestamp as `toISOString()` writes it, between `from` and `to`
 * (milliseconds, inclusive), and returns it in milliseconds.
 */
function assertTimestamp(value: unknown, from: number, to: number, what: string): number {
  assert.equal(typeof value, 'string', `${what} is a string, got ${JSON.stringify(value)}`);
  assert.match(String(value), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what} is ISO 8601`);
  const ms = Date.parse(String(value));
  const range = `${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`;
  assert.ok(ms >= from && ms <= to, `${what} ${String(value)} is within ${range}`);
  return ms;
}

describe('POST /v1/jobs and GET /v1/jobs/{id}', () => {
  test('202 with Location and the whole job; later succeeded with result and progress', async (t) => {
    const gw = await startGateway(t);
    const body = { server: 'fixture', tool: 'slow', arguments: { steps: 4, intervalMs: 5 } };
    const res = await gw.http.post('/v1/jobs').send(body);
    assert.equal(res.status, 202, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const job = res.body;
    assert.deepEqual(Object.keys(job).sort(), JOB_FIELDS);
    assert.match(job.id, JOB_ID);
    assert.equal(res.headers.location, `/v1/jobs/${job.id}`);
    assert.equal(job.server, 'fixture');
    assert.equal(job.tool, 'slow');
    assert.ok(['queued', 'running'].includes(job.status), job.status);
    assert.ok(!Number.isNaN(Date.parse(job.createdAt)));
    assert.equal(job.finishedAt, null);
    assert.deepEqual([job.progress, job.result, job.error], [null, null, null]);
    assert.equal(job.links.self, `/v1/jobs/${job.id}`);
    assert.equal(job.links.cancel, `/v1/jobs/${job.id}/cancel`);
    assert.ok(job.links.events.startsWith(`/v1/jobs/${job.id}/events`), job.links.events);

    const done = await finished(gw, job.id);
    assert.deepEqual(Object.keys(done).sort(), JOB_FIELDS);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result.content, [{ type: 'text', text: 'slow 4' }]);
    assert.equal(done.error, null);
    assert.deepEqual(done.progress, { progress: 4, total: 4, message: 'step 4', percent: 100 });
    assert.ok(Date.parse(done.startedAt) >= Date.parse(done.createdAt));
    assert.ok(Date.parse(done.finishedAt) >= Date.parse(done.startedAt));
  });

  test('progress.percent is null while the total is unknown', async (t) => {
    const gw = await startGateway(t);
    const job = await gw.startJob({
      server: 'fixture',
      tool: 'slow',
      arguments: { steps: 3, intervalMs: 5, withTotal: false },
    });
    const done = await finished(gw, job.id);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.progress, { progress: 3, total: null, message: 'step 3', percent: null });
  });

  test('isError: true fails with TOOL_ERROR and keeps the result; a throw is UPSTREAM_ERROR', async (t) => {
    const gw = await startGateway(t);
    const toolError = await gw.startJob({
      server: 'fixture',
      tool: 'tool_error',
      arguments: { text: 'disk on fire' },
    });
    const failed = await finished(gw, toolError.id);
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.error, { code: 'TOOL_ERROR', message: 'disk on fire' });
    assert.equal(failed.result.isError, true);
    assert.deepEqual(failed.result.content, [{ type: 'text', text: 'disk on fire' }]);

    const thrown = await gw.startJob({
      server: 'fixture',
      tool: 'throw',
      arguments: { message: 'kaboom' },
    });
    const threw = await finished(gw, thrown.id);
    assert.equal(threw.status, 'failed');
    assert.equal(threw.error.code, 'UPSTREAM_ERROR');
    assert.match(threw.error.message, /kaboom/);
    assert.equal(threw.result, null);
    assert.doesNotMatch(JSON.stringify(threw), LEAK);
  });
});

test('bad input is a 4xx problem that says what was wrong, and the gateway keeps serving', async (t) => {
  const gw = await startGateway(t, {
    env: { JOB_MAX_TIMEOUT_MS: '60000', JOB_DEFAULT_TIMEOUT_MS: '30000' },
  });
  const post = () => gw.http.post('/v1/jobs');
  const job = (extra: Record<string, unknown>) => ({ server: 'fixture', tool: 'echo', ...extra });
  const BAD = 'INVALID_REQUEST';
  const send = (extra: Record<string, unknown>) => () => post().send(job(extra));
  const at = (pointer: string, message: RegExp): Array<[string, RegExp]> => [[pointer, message]];
  type Case = [string, () => Promise<Response>, number, string, RegExp, Array<[string, RegExp]>?];
  // prettier-ignore
  const cases: Case[] = [
    ['malformed JSON', () => post().type('application/json').send('{"server":'),
      400, BAD, /JSON/],
    ['server: 123', send({ server: 123 }), 400, BAD, /server/, at('/body/server', /string/)],
    ['arguments: "x"', send({ arguments: 'x' }), 400, BAD, /arguments/,
      at('/body/arguments', /object/)],
    ['arguments: []', send({ arguments: [] }), 400, BAD, /arguments/,
      at('/body/arguments', /object/)],
    ['timeoutMs: "5"', send({ options: { timeoutMs: '5' } }), 400, BAD, /timeoutMs/,
      at('/body/options/timeoutMs', /integer/)],
    ['timeoutMs: -5', send({ options: { timeoutMs: -5 } }), 400, BAD, /timeoutMs/,
      at('/body/options/timeoutMs', />= 1/)],
    ['an unknown body key', send({ bogus: true }), 400, BAD, /bogus/,
      at('/body/bogus', /not an allowed property/)],
    ['an unknown options key', send({ options: { retries: 3 } }), 400, BAD, /retries/,
      at('/body/options/retries', /not an allowed property/)],
    ['no tool', () => post().send({ server: 'fixture' }), 400, BAD, /tool/,
      at('/body', /required property 'tool'/)],
    ['no body', () => post(), 400, BAD, /body/, at('/body', /object/)],
    // An empty JSON body counts as no body (so a bare cancel works); a job needs one.
    ['an empty JSON body', () => post().type('application/json'), 400, BAD, /body/, at('/body', /object/)],
    ['a text/plain body', () => post().type('text/plain').send('{"server":"fixture"}'),
      415, 'UNSUPPORTED_MEDIA_TYPE', /./],
    ['a form body (curl -d)', () => post().type('form').send('server=fixture&tool=echo'),
      415, 'UNSUPPORTED_MEDIA_TYPE', /./],
    ['a body over 1 MiB', send({ arguments: { s: 'x'.repeat(1 << 20) } }),
      413, 'BODY_TOO_LARGE', /large/i],
    ['an unknown server', send({ server: 'nope' }), 404, 'UNKNOWN_SERVER', /'nope'/],
    ['an unknown tool', send({ tool: 'no_such' }), 404, 'UNKNOWN_TOOL', /'no_such'/],
    ['timeoutMs above the maximum', send({ options: { timeoutMs: 60_001 } }),
      400, BAD, /timeoutMs.*60000/],
    ['idleTimeoutMs above the maximum', send({ options: { idleTimeoutMs: 60_001 } }),
      400, BAD, /idleTimeoutMs.*60000/],
    ['an unknown route', () => gw.http.get('/v1/nothing-here'),
      404, 'ROUTE_NOT_FOUND', /\/v1\/nothing-here/],
    ['a path that is not valid percent-encoding', () => gw.http.get('/v1/jobs/%E0%A4%A'),
      400, BAD, /URL/],
  ];
  for (const [name, request, status, code, detail, errors] of cases) {
    await t.test(name, async () => {
      const body = problem(await request(), status, code, detail);
      if (errors) {
        assert.ok(Array.isArray(body.errors), 'errors array');
        assert.deepEqual(
          body.errors.map((e: any) => e.pointer),
          errors.map(([pointer]) => pointer),
        );
        errors.forEach(([, message], i) => assert.match(body.errors[i].message, message));
      }
      await stillServes(gw);
    });
  }
  const ok = await gw.startJob(job({ arguments: { a: 1 }, options: { timeoutMs: 60_000 } }));
  assert.equal((await finished(gw, ok.id)).status, 'succeeded');
});

test('an unknown job id is 404 JOB_NOT_FOUND on GET, cancel, DELETE and events', async (t) => {
  const gw = await startGateway(t);
  const ids = ['0'.repeat(26), encodeURIComponent('../../etc'), 'a'.repeat(1000), 'NOT-AN-ID'];
  for (const id of ids) {
    const path = `/v1/jobs/${id}`;
    problem(await gw.http.get(path), 404, 'JOB_NOT_FOUND');
    problem(await gw.http.post(`${path}/cancel`), 404, 'JOB_NOT_FOUND');
    problem(await gw.http.delete(path), 404, 'JOB_NOT_FOUND');
    const events = await gw.http.get(`${path}/events`).set('accept', 'text/event-stream');
    problem(events, 404, 'JOB_NOT_FOUND');
  }
  problem(await gw.http.get('/v1/jobs/../../etc/passwd'), 404, 'ROUTE_NOT_FOUND');
});

test('cancel: 202 already cancelled, then 409 JOB_FINISHED; DELETE: 409 running, 204 finished', async (t) => {
  const gw = await startGateway(t);
  const started = Date.now();
  const running = await gw.startJob(slowLong);
  const other = await gw.startJob(slowLong);

  problem(await gw.http.delete(`/v1/jobs/${running.id}`), 409, 'JOB_RUNNING', /running/);

  // As curl sends it with a JSON content type and no body.
  const cancel = await gw.http
    .post(`/v1/jobs/${running.id}/cancel`)
    .set('content-type', 'application/json');
  assert.equal(cancel.status, 202, cancel.text);
  assert.deepEqual(Object.keys(cancel.body).sort(), JOB_FIELDS);
  assert.equal(cancel.body.status, 'cancelled');
  assert.equal(cancel.body.error.code, 'CANCELLED');
  assert.equal(typeof cancel.body.error.message, 'string');
  // Stamped by the cancel itself: after the job started, before the answer arrived.
  const answered = Date.now();
  const startedAt = assertTimestamp(cancel.body.startedAt, started, answered, 'startedAt');
  assertTimestamp(cancel.body.finishedAt, startedAt, answered, 'finishedAt');
  assert.equal((await gw.http.get(`/v1/jobs/${running.id}`)).body.status, 'cancelled');
  assert.equal((await gw.http.get(`/v1/jobs/${other.id}`)).body.status, 'running');

  problem(await gw.http.post(`/v1/jobs/${running.id}/cancel`), 409, 'JOB_FINISHED');

  const del = await gw.http.delete(`/v1/jobs/${running.id}`);
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  problem(await gw.http.get(`/v1/jobs/${running.id}`), 404, 'JOB_NOT_FOUND');
  problem(await gw.http.delete(`/v1/jobs/${running.id}`), 404, 'JOB_NOT_FOUND');
  const list = await gw.http.get('/v1/jobs');
  assert.deepEqual(
    list.body.jobs.map((j: any) => j.id),
    [other.id],
  );
});

test('Idempotency-Key: same body 200 with the same job, other body 409, bad key 400', async (t) => {
  const gw = await startGateway(t);
  const body = { server: 'fixture', tool: 'echo', arguments: { a: 1, b: [1, 2] } };
  const first = await gw.http.post('/v1/jobs').set('idempotency-key', 'order-42').send(body);
  assert.equal(first.status, 202, first.text);
  const id = first.body.id;

  const again = await gw.http.post('/v1/jobs').set('idempotency-key', 'order-42').send(body);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.id, id);
  assert.equal(again.headers.location, `/v1/jobs/${id}`);
  assert.deepEqual(Object.keys(again.body).sort(), JOB_FIELDS);

  const reordered = { arguments: { b: [1, 2], a: 1 }, tool: 'echo', server: 'fixture' };
  const same = await gw.http.post('/v1/jobs').set('idempotency-key', 'order-42').send(reordered);
  assert.equal(same.status, 200, same.text);
  assert.equal(same.body.id, id);

  const changed = { ...body, arguments: { a: 2, b: [1, 2] } };
  const conflict = await gw.http.post('/v1/jobs').set('idempotency-key', 'order-42').send(changed);
  problem(conflict, 409, 'IDEMPOTENCY_CONFLICT', /Idempotency-Key/);

  const fresh = await gw.http.post('/v1/jobs').set('idempotency-key', 'order-43').send(body);
  assert.equal(fresh.status, 202);
  assert.notEqual(fresh.body.id, id);

  for (const bad of ['k'.repeat(300), 'has space', '']) {
    const res = await gw.http.post('/v1/jobs').set('idempotency-key', bad).send(body);
    problem(res, 400, 'INVALID_REQUEST', /Idempotency-Key/);
  }
  const list = await gw.http.get('/v1/jobs');
  assert.deepEqual(list.body.jobs.map((j: any) => j.id).sort(), [id, fresh.body.id].sort());
});

describe('GET /v1/jobs', () => {
  test('newest first, filtered by status and server', async (t) => {
    const gw = await startGateway(t, { upstreams: [fixtureStdio(), fixtureStdio('other')] });
    const ids: string[] = [];
    for (const body of [
      { server: 'fixture', tool: 'ping_pid' },
      { server: 'other', tool: 'tool_error' },
      { server: 'fixture', tool: 'ping_pid' },
      { server: 'other', tool: 'ping_pid' },
    ]) {
      const job = await gw.startJob(body);
      await finished(gw, job.id);
      ids.push(job.id);
    }
    const running = await gw.startJob(slowLong);
    ids.push(running.id);
    const list = async (query: string) => {
      const res = await gw.http.get(`/v1/jobs${query}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['jobs', 'next']);
      res.body.jobs.forEach((j: any) => assert.deepEqual(Object.keys(j).sort(), JOB_FIELDS));
      return res.body.jobs.map((j: any) => j.id);
    };
    const [a, b, c, d, e] = ids;
    assert.deepEqual(await list(''), [e, d, c, b, a]);
    assert.deepEqual(await list('?status=succeeded'), [d, c, a]);
    assert.deepEqual(await list('?status=failed'), [b]);
    assert.deepEqual(await list('?status=running'), [e]);
    assert.deepEqual(await list('?status=cancelled'), []);
    assert.deepEqual(await list('?server=other'), [d, b]);
    assert.deepEqual(await list('?server=other&status=succeeded'), [d]);
    assert.deepEqual(await list('?server=unknown'), []);
  });

  test('limit and next walk every job exactly once, newest first', async (t) => {
    const gw = await startGateway(t);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await gw.startJob({ server: 'fixture', tool: 'echo' })).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null = null;
    do {
      const query: string = next ? `?limit=3&cursor=${encodeURIComponent(next)}` : '?limit=3';
      const res = await gw.http.get(`/v1/jobs${query}`);
      assert.equal(res.status, 200, res.text);
      sizes.push(res.body.jobs.length);
      seen.push(...res.body.jobs.map((j: any) => j.id));
      next = res.body.next;
      assert.ok(sizes.length < 10, 'pagination does not end');
    } while (next !== null);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, ids.reverse());
    const all = await gw.http.get('/v1/jobs?limit=7');
    assert.equal(all.body.jobs.length, 7);
    assert.equal(all.body.next, null);
  });

  test('jobs created within one millisecond still list newest first', async (t) => {
    const gw = await startGateway(t);
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await gw.startJob({ server: 'fixture', tool: 'echo' })).id);
    t.mock.timers.reset();
    const res = await gw.http.get('/v1/jobs');
    assert.deepEqual(
      res.body.jobs.map((j: any) => j.id),
      ids.reverse(),
    );
  });

  test('a bad limit, status, cursor or parameter is 400 INVALID_REQUEST', async (t) => {
    const gw = await startGateway(t);
    for (const [query, what] of [
      ['limit=0', /limit/],
      ['limit=101', /limit/],
      ['limit=x', /limit/],
      ['limit=', /limit/],
      ['status=done', /status/],
      ['cursor=..%2F..', /cursor/],
      ['page=2', /page/],
    ] as const) {
      problem(await gw.http.get(`/v1/jobs?${query}`), 400, 'INVALID_REQUEST', what);
    }
    assert.equal((await gw.http.get('/v1/jobs?limit=100')).status, 200);
  });

  test('a failure inside the gateway is a 500 problem that shows nothing internal', async (t) => {
    const gw = await startGateway(t);
    gw.app.gateway.store.list = async () => {
      throw new Error('secret-db-password at /work/main/src/store/memory-store.ts:1:1');
    };
    const res = await gw.http.get('/v1/jobs');
    const body = problem(res, 500, 'INTERNAL_ERROR');
    assert.doesNotMatch(res.text, /secret-db-password|stack/);
    assert.equal(body.errors, undefined);
    await stillServes(gw);
  });
});

describe('API keys', () => {
  const env = { API_KEYS: 'alice:aaaaaaaaaaaaaaaa1,bob:bbbbbbbbbbbbbbbb2' };
  const alice = { authorization: 'Bearer aaaaaaaaaaaaaaaa1' };
  const bob = { authorization: 'Bearer bbbbbbbbbbbbbbbb2' };

  test('no key or a wrong key is 401 with WWW-Authenticate; health needs no key', async (t) => {
    const gw = await startGateway(t, { env });
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-key-wrong-key' },
      { authorization: 'Basic YWxpY2U6YWFhYQ==' },
      { authorization: 'Bearer' },
    ]) {
      for (const res of [
        await gw.http.get('/v1/jobs').set(headers),
        await gw.http.post('/v1/jobs').set(headers).send(slowLong),
        await gw.http.get('/v1/servers').set(headers),
      ]) {
        problem(res, 401, 'UNAUTHORIZED');
        assert.match(String(res.headers['www-authenticate']), /^Bearer\b/);
      }
    }
    assert.equal((await gw.http.get('/healthz')).status, 200);
    // Readiness (200 once the upstream is connected, 503 before) needs no key either.
    assert.ok([200, 503].includes((await gw.http.get('/readyz')).status));
    assert.equal((await gw.http.get('/v1/jobs').set(alice)).status, 200);
  });

  test("one key's job is 404 for another key everywhere", async (t) => {
    const gw = await startGateway(t, { env });
    const job = await gw.startJob(slowLong, alice);
    const path = `/v1/jobs/${job.id}`;
    problem(await gw.http.get(path).set(bob), 404, 'JOB_NOT_FOUND');
    problem(await gw.http.post(`${path}/cancel`).set(bob), 404, 'JOB_NOT_FOUND');
    problem(await gw.http.delete(path).set(bob), 404, 'JOB_NOT_FOUND');
    const events = await gw.http.get(`${path}/events`).set(bob).set('accept', 'text/event-stream');
    problem(events, 404, 'JOB_NOT_FOUND');
    assert.deepEqual((await gw.http.get('/v1/jobs').set(bob)).body, { jobs: [], next: null });
    const mine = await gw.http.get('/v1/jobs').set(alice);
    assert.deepEqual(
      mine.body.jobs.map((j: any) => j.id),
      [job.id],
    );
    // The same Idempotency-Key from another key is another job.
    const key = { 'idempotency-key': 'shared-key' };
    const a = await gw.http.post('/v1/jobs').set(alice).set(key).send(slowLong);
    const b = await gw.http.post('/v1/jobs').set(bob).set(key).send(slowLong);
    assert.deepEqual([a.status, b.status], [202, 202]);
    assert.notEqual(a.body.id, b.body.id);
    assert.equal((await gw.http.get(path).set(alice)).body.status, 'running');
    assert.equal((await gw.http.post(`${path}/cancel`).set(alice)).status, 202);
  });

  test('links.events carries a stream token that works without the header, for that job only', async (t) => {
    const gw = await startGateway(t, { env });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    assert.match(
      job.links.events,
      new RegExp(`^/v1/jobs/${job.id}/events\\?token=[\\w-]+\\.[\\w-]+$`),
    );
    const stream = await openSse(`${gw.url}${job.links.events}`);
    await stream.ended;
    assert.equal(stream.status, 200);
    assert.equal(parsed(stream.events).at(-1)!.event, 'done');

    const token = new URL(job.links.events, gw.url).searchParams.get('token')!;
    const other = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const tampered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`;
    const cases: Array<[string, string]> = [
      ['another job', `/v1/jobs/${other.id}/events?token=${token}`],
      ['a tampered token', `/v1/jobs/${job.id}/events?token=${tampered}`],
      ['garbage', `/v1/jobs/${job.id}/events?token=garbage`],
      ['a JSON route', `/v1/jobs/${job.id}?token=${token}`],
    ];
    for (const [what, url] of cases) {
      const res = await gw.http.get(url).set('accept', 'text/event-stream');
      assert.equal(res.status, 401, what);
      assert.equal(res.body.code, 'UNAUTHORIZED', what);
    }
    // The header still wins: bob's key with alice's token sees nothing.
    const bobWithToken = await gw.http.get(job.links.events).set(bob);
    assert.equal(bobWithToken.status, 404);
  });

  test('an expired stream token is refused cleanly', async (t) => {
    const gw = await startGateway(t, { env: { ...env, STREAM_TOKEN_TTL_MS: '1000' } });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    await waitUntil(async () => {
      const res = await gw.http.get(job.links.events).set('accept', 'text/event-stream');
      return res.status === 401 && res.body.code === 'UNAUTHORIZED';
    }, 'the token to expire');
  });
});

test('X-Request-Id is echoed when valid and generated otherwise', async (t) => {
  const gw = await startGateway(t);
  const given = await gw.http.get('/v1/servers').set('x-request-id', 'trace-abc.123:x');
  assert.equal(given.headers['x-request-id'], 'trace-abc.123:x');
  const onProblem = await gw.http.get('/v1/jobs/nope').set('x-request-id', 'trace-2');
  assert.equal(onProblem.headers['x-request-id'], 'trace-2');
  const generated = new Set<string>();
  for (const header of [undefined, undefined, 'has space', 'x'.repeat(200), 'ünïcode']) {
    const req = gw.http.get('/healthz');
    const res = await (header === undefined ? req : req.set('x-request-id', header));
    const id = String(res.headers['x-request-id']);
    assert.match(id, /^[A-Za-z0-9._:-]{8,128}$/);
    assert.notEqual(id, header);
    generated.add(id);
  }
  assert.equal(generated.size, 5);
});
