import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { ROOT, startGateway } from '../helpers/gateway.js';
import { deleteKeys, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { openSse, parsed } from '../helpers/sse-client.js';

/** Starts src/main.ts as a real process on a free port; resolves with its URL from the log. */
async function startMain(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; logs: any[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: any[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line);
      logs.push(entry);
      const match = /listening on (http:\/\/\S+)$/.exec(entry.msg ?? '');
      if (match) resolve(match[1]!);
    });
  });
  return { child, url, logs };
}

/** Starts a demo job that runs until it is cancelled; resolves with its id. */
async function startWaitingJob(url: string): Promise<string> {
  const post = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      server: 'demo',
      tool: 'wait_for_cancel',
      arguments: { intervalMs: 50 },
    }),
  });
  assert.equal(post.status, 202);
  return ((await post.json()) as { id: string }).id;
}

test('SIGTERM ends streams and running jobs, closes upstreams and exits 0', async (t) => {
  const { child, url, logs } = await startMain({ SHUTDOWN_GRACE_MS: '20000' });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // One line says where it listens, which store, which upstreams and whether auth is on.
  const listening = logs.filter((l) => /listening/i.test(l.msg));
  assert.equal(listening.length, 1, JSON.stringify(listening));
  const startup = listening[0];
  assert.equal(startup.store, 'memory');
  assert.deepEqual(startup.upstreams, ['demo (stdio)']);
  assert.equal(startup.auth, 'off');

  const job = { id: await startWaitingJob(url) };
  const stream = await openSse(`${url}/v1/jobs/${job.id}/events`);
  await stream.waitFor((events) => events.some((e) => e.event === 'progress'), 'progress');

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await stream.ended;
  const done = parsed(stream.events).at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.status, 'cancelled');
  assert.equal(done.data.error.code, 'GATEWAY_SHUTDOWN');
  const [code] = await exited;
  assert.equal(code, 0);
  // Request lines and job lifecycle lines were logged; tool arguments never at info.
  const finished = logs.find((l) => l.msg === 'job finished');
  assert.equal(finished.jobId, job.id);
  assert.equal(finished.status, 'cancelled');
  assert.equal(typeof finished.durationMs, 'number');
  assert.ok(logs.some((l) => l.msg === 'request' && l.url === '/v1/jobs' && l.statusCode === 202));
  assert.ok(!JSON.stringify(logs).includes('intervalMs'), 'arguments are not logged');
});

const redis = await redisForTests();

test(
  'SIGTERM with running and queued jobs and several streams (Redis): every stream gets done, every job ends final, exit 0 within the grace period',
  { skip: redis.skip },
  async (t) => {
    const prefix = uniquePrefix('sigterm');
    t.after(() => deleteKeys(redis.url, prefix));
    const env = { STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    // Two may run at once: the third job waits in the queue when SIGTERM arrives.
    const { child, url } = await startMain({
      ...env,
      SHUTDOWN_GRACE_MS: '20000',
      MAX_RUNNING_JOBS_PER_UPSTREAM: '2',
    });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await startWaitingJob(url));
    const streams = await Promise.all([
      ...ids.map((id) => openSse(`${url}/v1/jobs/${id}/events`)),
      openSse(`${url}/v1/events?${ids.map((id) => `job=${id}`).join('&')}`),
    ]);
    t.after(() => streams.forEach((s) => s.close()));
    for (const stream of streams.slice(0, 2)) {
      await stream.waitFor((events) => events.some((e) => e.event === 'progress'), 'progress');
    }
    const queued = parsed(streams[2]!.events)[0]!;
    assert.equal(queued.data.status, 'queued');

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, 'exited by itself within SHUTDOWN_GRACE_MS (a forced exit is 1)');
    for (const stream of streams) await stream.ended;
    for (const stream of streams.slice(0, 3)) {
      const done = parsed(stream.events).at(-1)!;
      assert.equal(done.event, 'done');
      assert.equal(done.data.status, 'cancelled');
      assert.equal(done.data.error.code, 'GATEWAY_SHUTDOWN');
    }
    const multi = parsed(streams[3]!.events).filter((e) => e.event === 'done');
    assert.deepEqual(multi.map((e) => e.data.jobId).sort(), [...ids].sort());

    // What the store keeps says the same: another gateway on the same Redis sees three ended jobs.
    const after = await startGateway(t, { env });
    for (const id of ids) {
      const job = await after.http.get(`/v1/jobs/${id}`);
      assert.equal(job.status, 200);
      assert.equal(job.body.status, 'cancelled');
      assert.equal(job.body.error.code, 'GATEWAY_SHUTDOWN');
    }
  },
);
