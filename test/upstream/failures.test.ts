import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JOB_ERRORS } from '../../src/errors.js';
import type { JobView } from '../../src/http/job-view.js';
import { startHttpFixture } from '../fixtures/http-server.js';
import { fixtureStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { parsed } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

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

async function servers(gw: TestGateway): Promise<Array<Record<string, any>>> {
  const res = await gw.http.get('/v1/servers').expect(200);
  return res.body.servers as Array<Record<string, any>>;
}

async function serverNamed(gw: TestGateway, name: string): Promise<Record<string, any>> {
  const found = (await servers(gw)).find((s) => s.name === name);
  assert.ok(found, `GET /v1/servers lists ${name}`);
  return found;
}

async function getJob(gw: TestGateway, id: string): Promise<JobView> {
  return (await gw.http.get(`/v1/jobs/${id}`).expect(200)).body as JobView;
}

/** Runs `ping_pid` on `server` and returns the upstream process's pid. */
async function upstreamPid(gw: TestGateway, server: string): Promise<number> {
  const job = await gw.startJob({ server, tool: 'ping_pid' });
  const done = parsed((await gw.collect(job.id)).events).at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.status, 'succeeded');
  const pid = Number(done.data.result.content[0].text);
  assert.ok(Number.isInteger(pid) && pid > 0, `a pid, got ${done.data.result.content[0].text}`);
  return pid;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function assertAlive(gw: TestGateway): Promise<void> {
  await gw.http.get('/healthz').expect(200);
  await gw.http.get('/v1/servers').expect(200);
}

/** Runs a job to its end and returns its `done` data. */
async function finish(gw: TestGateway, body: Record<string, unknown>): Promise<any> {
  const job = await gw.startJob(body);
  const done = parsed((await gw.collect(job.id)).events).at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal((await getJob(gw, job.id)).status, done.data.status);
  return done.data;
}

test('the gateway enforces options.timeoutMs and options.idleTimeoutMs itself', async (t) => {
  const gw = await startGateway(t);
  const silent = { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } };

  const hard = await finish(gw, { ...silent, options: { timeoutMs: 300 } });
  assert.equal(hard.status, 'failed');
  assert.equal(hard.error.code, 'JOB_TIMEOUT');
  assert.match(hard.error.message, /300 ms/);

  const idle = await finish(gw, { ...silent, options: { idleTimeoutMs: 300 } });
  assert.equal(idle.status, 'failed');
  assert.equal(idle.error.code, 'JOB_IDLE_TIMEOUT');
  assert.match(idle.error.message, /300 ms/);

  // 24 steps 100 ms apart last at least 2400 ms, past the idle deadline; each step restarts it.
  const busy = await finish(gw, {
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 24, intervalMs: 100 },
    options: { idleTimeoutMs: 2000 },
  });
  assert.equal(busy.status, 'succeeded', JSON.stringify(busy.error));
  assert.equal(busy.progress.progress, 24);
  assert.ok(Date.parse(busy.finishedAt) - Date.parse(busy.startedAt) >= 2000, 'outlived idle');

  // The aborted calls are gone and the upstream is still usable.
  assert.equal(gw.app.gateway.pool.statuses()[0]!.activeCalls, 0);
  assert.equal((await finish(gw, { server: 'fixture', tool: 'echo' })).status, 'succeeded');
  assert.equal((await serverNamed(gw, 'fixture')).reconnects, 0);
});

test('JOB_DEFAULT_TIMEOUT_MS and JOB_DEFAULT_IDLE_TIMEOUT_MS apply when options are absent', async (t) => {
  const silent = { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } };
  const hardGw = await startGateway(t, { env: { JOB_DEFAULT_TIMEOUT_MS: '300' } });
  const hard = await finish(hardGw, silent);
  assert.equal(hard.error.code, 'JOB_TIMEOUT');
  // An explicit option wins over the default.
  const longer = await finish(hardGw, {
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 5, intervalMs: 100 },
    options: { timeoutMs: 60_000 },
  });
  assert.equal(longer.status, 'succeeded', JSON.stringify(longer.error));

  const idleGw = await startGateway(t, { env: { JOB_DEFAULT_IDLE_TIMEOUT_MS: '300' } });
  const idle = await finish(idleGw, silent);
  assert.equal(idle.error.code, 'JOB_IDLE_TIMEOUT');
  const patient = await finish(idleGw, {
    ...silent,
    arguments: { ms: 500 },
    options: { idleTimeoutMs: 60_000 },
  });
  assert.equal(patient.status, 'succeeded', JSON.stringify(patient.error));
});

test('a stdio upstream that crashes mid-call fails the job and is restarted by itself', async (t) => {
  const gw = await startGateway(t);
  const before = await upstreamPid(gw, 'fixture');

  const crashStarted = Date.now();
  const job = await gw.startJob({ server: 'fixture', tool: 'crash', arguments: { afterMs: 20 } });
  const events = parsed((await gw.collect(job.id)).events);
  const done = events.at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.status, 'failed');
  assert.equal(done.data.error.code, 'UPSTREAM_DISCONNECTED');
  assert.match(done.data.error.message, /upstream connection closed/i);
  // The progress sent before the crash was kept.
  assert.deepEqual(
    events.filter((e) => e.event === 'progress').map((e) => e.data.message),
    ['about to crash'],
  );
  assert.equal((await getJob(gw, job.id)).error?.code, 'UPSTREAM_DISCONNECTED');

  const status = await serverNamed(gw, 'fixture');
  assert.match(String(status.lastError), /closed/i);
  assertTimestamp(status.lastErrorAt, crashStarted, Date.now(), 'lastErrorAt of the crash');
  await waitUntil(() => processGone(before), `crashed upstream ${before} to be gone`);

  // It is started anew in the background, before any job asks for it.
  const restarted = await waitUntil(async () => {
    const s = await serverNamed(gw, 'fixture');
    return s.state === 'connected' ? s : undefined;
  }, 'the upstream to be connected again');
  assert.equal(restarted.reconnects, 1);
  const after = await upstreamPid(gw, 'fixture');
  assert.notEqual(after, before, 'the upstream was started anew');
  await assertAlive(gw);
});

test('a stdio command that does not exist answers 503 UPSTREAM_UNAVAILABLE', async (t) => {
  const started = Date.now();
  const gw = await startGateway(t, {
    upstreams: [
      { name: 'ghost', transport: 'stdio', command: '/nonexistent/bin', args: [], env: {} },
      fixtureStdio(),
    ],
  });
  const res = await gw.http.post('/v1/jobs').send({ server: 'ghost', tool: 'anything' });
  assert.equal(res.status, 503);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal(res.body.code, 'UPSTREAM_UNAVAILABLE');
  assert.equal(res.body.status, 503);
  assert.ok(res.headers['retry-after'], 'Retry-After is set');

  const ghost = await serverNamed(gw, 'ghost');
  assert.equal(ghost.state, 'failed');
  assert.match(String(ghost.lastError), /ENOENT|not found|no such file/i);
  assertTimestamp(ghost.lastErrorAt, started, Date.now(), 'lastErrorAt of the failed start');

  const tools = await gw.http.get('/v1/servers/ghost/tools');
  assert.equal(tools.status, 503);
  assert.equal(tools.body.code, 'UPSTREAM_UNAVAILABLE');

  // The other upstream and the gateway are unaffected.
  await upstreamPid(gw, 'fixture');
  await assertAlive(gw);
});

for (const transport of ['streamable-http', 'sse'] as const) {
  test(`an HTTP upstream (${transport}) that goes away mid-call fails the job`, async (t) => {
    const fixture = await startHttpFixture();
    t.after(() => fixture.close());
    const url = transport === 'sse' ? fixture.sseUrl : fixture.url;
    const gw = await startGateway(t, {
      upstreams: [{ name: 'web', transport, url, headers: {} }],
      env: { UPSTREAM_CONNECT_TIMEOUT_MS: '2000' },
    });
    const job = await gw.startJob({
      server: 'web',
      tool: 'slow',
      arguments: { steps: 100_000, intervalMs: 20 },
      // Without this the job would wait for ever if the loss went unnoticed; with it, it fails
      // with JOB_IDLE_TIMEOUT and the code check below says so.
      options: { idleTimeoutMs: 20_000 },
    });
    const stream = await gw.events(job.id);
    t.after(() => stream.close());
    await stream.waitFor((es) => es.some((e) => e.event === 'progress'), 'first progress');

    await fixture.close();
    await stream.ended;
    const done = parsed(stream.events).at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'failed');
    const code = done.data.error.code as string;
    assert.ok(code in JOB_ERRORS, `${code} is a documented job error code`);
    // What the gateway gives: the session is found dead and closed, as for a crashed stdio server.
    assert.equal(code, 'UPSTREAM_DISCONNECTED', `${code}: ${done.data.error.message}`);
    assert.equal((await getJob(gw, job.id)).status, 'failed');

    // The gateway tries to reconnect by itself, and fails: the server is gone.
    const failed = await waitUntil(async () => {
      const web = await serverNamed(gw, 'web');
      return web.state === 'failed' ? web : undefined;
    }, 'a reconnect attempt to fail');
    assert.match(String(failed.lastError), /ECONNREFUSED|fetch failed/);
    assert.equal(failed.activeCalls, 0);
    assert.equal((await gw.http.get('/readyz')).status, 503);

    // A new job now cannot reach it: 503, and the gateway stays up.
    const retry = await gw.http.post('/v1/jobs').send({ server: 'web', tool: 'echo' });
    assert.equal(retry.status, 503);
    assert.equal(retry.body.code, 'UPSTREAM_UNAVAILABLE');
    await assertAlive(gw);
  });
}

test('closing the gateway cancels running jobs and stops stdio upstreams', async (t) => {
  const fixture = await startHttpFixture();
  t.after(() => fixture.close());
  const gw = await startGateway(t, {
    upstreams: [
      fixtureStdio('one'),
      fixtureStdio('two'),
      { name: 'web', transport: 'streamable-http', url: fixture.url, headers: {} },
      { name: 'legacy', transport: 'sse', url: fixture.sseUrl, headers: {} },
    ],
  });
  const pids = [await upstreamPid(gw, 'one'), await upstreamPid(gw, 'two')];
  const jobs = [
    await gw.startJob({ server: 'one', tool: 'silent', arguments: { ms: 600_000 } }),
    await gw.startJob({ server: 'one', tool: 'ignore_cancel', arguments: { steps: 100_000 } }),
    await gw.startJob({ server: 'two', tool: 'honour_cancel', arguments: { intervalMs: 20 } }),
    await gw.startJob({ server: 'web', tool: 'slow', arguments: { steps: 100_000 } }),
    await gw.startJob({ server: 'legacy', tool: 'honour_cancel', arguments: { intervalMs: 20 } }),
  ];
  await waitUntil(
    () => gw.app.gateway.pool.statuses().reduce((n, s) => n + s.activeCalls, 0) === jobs.length,
    'every call to be running upstream',
  );
  const stream = await gw.events(jobs[3]!.id);
  t.after(() => stream.close());

  const closing = Date.now();
  await gw.close();
  const closed = Date.now();

  for (const job of jobs) {
    const record = await gw.app.gateway.store.get(job.id);
    assert.ok(record, `job ${job.tool} is still in the store`);
    assert.equal(record.status, 'cancelled', `${job.server}/${job.tool}`);
    assert.equal(record.error?.code, 'GATEWAY_SHUTDOWN');
    // Finished by the shutdown, not before it, and after the job had started.
    const what = `${job.server}/${job.tool}`;
    const startedAt = assertTimestamp(record.startedAt, 0, closing, `startedAt of ${what}`);
    assertTimestamp(
      record.finishedAt,
      Math.max(startedAt, closing),
      closed,
      `finishedAt of ${what}`,
    );
  }
  // An open stream got `done` before the server closed.
  await stream.ended;
  const last = parsed(stream.events).at(-1)!;
  assert.equal(last.event, 'done');
  assert.equal(last.data.error.code, 'GATEWAY_SHUTDOWN');

  for (const pid of pids) {
    await waitUntil(() => processGone(pid), `stdio upstream ${pid} to exit`);
  }
  assert.ok(gw.app.gateway.pool.statuses().every((s) => s.activeCalls === 0));
});
