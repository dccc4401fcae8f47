import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { newJobId } from '../../src/domain/job.js';
import { apiEventFormat } from '../../src/http/event-format.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { JobStore } from '../../src/store/types.js';
import { ROOT, startGateway } from '../helpers/gateway.js';
import { jobRecord } from '../store/contract.js';
import { deleteKeys, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { openSse, parsed, type SseConnection, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

const redis = await redisForTests();
const prefix = uniquePrefix('replicas');

/** Settings every replica of one test shares: one Redis, one key prefix, short leases. */
function replicaEnv(name: string): Record<string, string> {
  return {
    STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${prefix}${name}:`,
    LEASE_TTL_MS: '1500',
    LEASE_RENEW_MS: '300',
  };
}

const progressOf = (events: SseEvent[]) => parsed(events).filter((e) => e.event === 'progress');

/** A gateway in a child process of its own (its own process group, so SIGKILL takes its upstreams). */
async function spawnGateway(
  t: TestContext,
  env: Record<string, string>,
): Promise<{ url: string; kill(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mpg-replica-'));
  const configFile = path.join(dir, 'mcp.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      mcpServers: {
        fixture: {
          command: process.execPath,
          args: ['--import', 'tsx', path.join(ROOT, 'test/fixtures/stdio-server.ts')],
          cwd: ROOT,
        },
      },
    }),
  );
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      GATEWAY_CONFIG: configFile,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
  };
  t.after(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${output}`)));
  });
  // Keep draining its output so that it never blocks on a full pipe.
  child.stdout!.resume();
  return { url, kill };
}

async function postJson(url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

if (redis.skip) {
  test('gateway replicas on one Redis', { skip: redis.skip }, () => {});
} else {
  after(() => deleteKeys(redis.url, prefix));

  describe('gateway replicas on one Redis', () => {
    test('start on A, stream on B, resume on A with Last-Event-ID, cancel on B', async (t) => {
      const env = replicaEnv('flow');
      const a = await startGateway(t, { env });
      const b = await startGateway(t, { env });
      const job = await a.startJob({
        server: 'fixture',
        tool: 'honour_cancel',
        arguments: { intervalMs: 20 },
      });

      // Any replica answers for the job.
      const fromB = await b.http.get(`/v1/jobs/${job.id}`);
      assert.equal(fromB.status, 200);
      assert.equal(fromB.body.id, job.id);
      const listed = await b.http.get('/v1/jobs');
      assert.ok(listed.body.jobs.some((j: { id: string }) => j.id === job.id));

      const onB = await b.events(job.id);
      await onB.waitFor((events) => progressOf(events).length >= 3, 'progress on B');
      onB.close();
      const seenOnB = onB.events.filter((e) => e.id !== undefined);
      const lastId = seenOnB.at(-1)!.id!;

      const onA = await a.events(job.id, { 'last-event-id': lastId });
      await onA.waitFor((events) => progressOf(events).length >= 3, 'progress on A');
      // No gap, no duplicate at the seam between the two replicas.
      const ticksB = progressOf(seenOnB).map((e) => e.data.progress as number);
      const ticksA = progressOf(onA.events).map((e) => e.data.progress as number);
      assert.equal(ticksA[0], ticksB.at(-1)! + 1);
      for (const [i, tick] of ticksA.entries()) assert.equal(tick, ticksA[0]! + i);
      const idsOnB = new Set(seenOnB.map((e) => e.id));
      assert.ok(
        onA.events.every((e) => !idsOnB.has(e.id)),
        'an id seen on B again on A',
      );

      const cancelled = await postJson(`${b.url}/v1/jobs/${job.id}/cancel`);
      assert.equal(cancelled.status, 202);
      assert.equal(cancelled.body.status, 'cancelled');
      await onA.ended;
      const done = parsed(onA.events).at(-1)!;
      assert.equal(done.event, 'done');
      assert.equal(done.data.status, 'cancelled');
      assert.equal(done.data.error.code, 'CANCELLED');
      // The cancel reached the replica that runs the call.
      await waitUntil(() => a.app.gateway.jobs.activeCount === 0, 'A to stop the call');
      for (const gateway of [a, b]) {
        const res = await gateway.http.get(`/v1/jobs/${job.id}`);
        assert.equal(res.body.status, 'cancelled');
      }
      // After done, a reconnect on either replica is told to stop.
      for (const gateway of [a, b]) {
        const again = await gateway.events(job.id, { 'last-event-id': done.id! });
        assert.equal(again.status, 204);
        again.close();
      }
      const twice = await postJson(`${a.url}/v1/jobs/${job.id}/cancel`);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, 'JOB_FINISHED');
    });

    test('/v1/events on B follows jobs started on A and resumes with its cursor', async (t) => {
      const env = replicaEnv('multi');
      const a = await startGateway(t, { env });
      const b = await startGateway(t, { env });
      const body = { server: 'fixture', tool: 'slow', arguments: { steps: 6, intervalMs: 20 } };
      const [one, two] = [await a.startJob(body), await a.startJob(body)];
      const url = `${b.url}/v1/events?job=${one.id}&job=${two.id}`;
      const first = await openSse(url);
      t.after(() => first.close());
      await first.waitFor((events) => progressOf(events).length >= 2, 'progress from both');
      first.close();
      const cursor = first.events.filter((e) => e.id !== undefined).at(-1)!.id!;
      const rest = await openSse(`${a.url}/v1/events?job=${one.id}&job=${two.id}`, {
        'last-event-id': cursor,
      });
      t.after(() => rest.close());
      await rest.ended;
      const all = [...first.events, ...rest.events].filter((e) => e.id !== undefined);
      for (const job of [one, two]) {
        const steps = progressOf(all)
          .filter((e) => e.data.jobId === job.id)
          .map((e) => e.data.progress);
        assert.deepEqual(steps, [1, 2, 3, 4, 5, 6], `steps of ${job.id}`);
      }
      const dones = parsed(rest.events).filter((e) => e.event === 'done');
      assert.deepEqual(dones.map((e) => e.data.status).sort(), ['succeeded', 'succeeded']);
    });

    test('a replica killed mid-job: another one fails it with GATEWAY_INSTANCE_LOST', async (t) => {
      const env = replicaEnv('kill');
      const a = await spawnGateway(t, env);
      const b = await startGateway(t, { env });
      const started = await postJson(`${a.url}/v1/jobs`, {
        server: 'fixture',
        tool: 'honour_cancel',
        arguments: { intervalMs: 20 },
      });
      assert.equal(started.status, 202);
      const id = started.body.id as string;
      const onB = await b.events(id);
      await onB.waitFor((events) => progressOf(events).length >= 2, 'progress on B');

      await a.kill();
      await onB.waitFor((events) => events.some((e) => e.event === 'done'), 'done on B');
      await onB.ended;
      const done = parsed(onB.events).at(-1)!;
      assert.equal(done.event, 'done');
      assert.equal(done.data.status, 'failed');
      assert.equal(done.data.error.code, 'GATEWAY_INSTANCE_LOST');
      const res = await b.http.get(`/v1/jobs/${id}`);
      assert.equal(res.body.status, 'failed');
      assert.equal(res.body.error.code, 'GATEWAY_INSTANCE_LOST');
    });

    test('delivery latency: written once, received over SSE on A, on B, and with the memory store', async (t) => {
      const env = replicaEnv('latency');
      const a = await startGateway(t, { env });
      const b = await startGateway(t, { env });
      const single = await startGateway(t);
      // The writer stands for the replica that runs the job (a store of its own: a gateway's
      // store would see a job it does not run and end it).
      const writer = await RedisStore.open({
        url: redis.url,
        keyPrefix: env.REDIS_KEY_PREFIX!,
        retentionMs: 60_000,
        maxEventsPerJob: 1000,
        leaseTtlMs: 1500,
        leaseRenewMs: 300,
        logger: pino({ level: 'silent' }),
        format: apiEventFormat,
      });
      t.after(() => writer.close());
      const record = jobRecord({
        id: newJobId(),
        server: 'fixture',
        tool: 'manual',
        status: 'running',
        timeoutMs: 60_000,
        idleTimeoutMs: 60_000,
      });
      const stores: JobStore[] = [writer, single.app.gateway.store];
      for (const store of stores) await store.insert(record);
      const now = () => performance.timeOrigin + performance.now();
      const arrivals = new Map<SseEvent, number>();
      const streams = await Promise.all([a, b, single].map((g) => g.events(record.id)));
      t.after(() => streams.forEach((s) => s.close()));
      for (const stream of streams) {
        stream.parser.events.push = function (...items: SseEvent[]) {
          for (const item of items) arrivals.set(item, now());
          return Array.prototype.push.apply(this, items);
        };
      }
      const [onA, onB, onSingle] = streams as [SseConnection, SseConnection, SseConnection];
      const rounds = 200;
      const sentAt: [number[], number[]] = [[], []];
      for (let i = 1; i <= rounds; i++) {
        const data = JSON.stringify({ progress: i });
        // One event at a time, one store at a time: this measures delivery, not a queue.
        for (const [s, store] of stores.entries()) {
          sentAt[s]!.push(now());
          await store.commit(record, { type: 'progress', data });
          const receivers = s === 0 ? [onA, onB] : [onSingle];
          await Promise.all(
            receivers.map((r) => r.waitFor((e) => progressOf(e).length >= i, `event ${i}`)),
          );
        }
      }
      const latencies = (stream: SseConnection) => {
        const events = stream.events.filter((e) => e.event === 'progress');
        assert.deepEqual(
          events.map((e) => JSON.parse(e.data).progress),
          Array.from({ length: rounds }, (_v, i) => i + 1),
        );
        const sent = sentAt[stream === onSingle ? 1 : 0];
        return events.map((e, i) => arrivals.get(e)! - sent[i]!).sort((x, y) => x - y);
      };
      const fmt = (stream: SseConnection) => {
        const sorted = latencies(stream);
        return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`;
      };
      t.diagnostic(`redis, subscriber on replica A: ${fmt(onA)}`);
      t.diagnostic(`redis, subscriber on replica B: ${fmt(onB)}`);
      t.diagnostic(`memory store, one process: ${fmt(onSingle)}`);
      const final = { ...record, status: 'cancelled' as const };
      for (const store of stores) await store.commit(final, { type: 'done', data: '{}' });
      await Promise.all(streams.map((s) => s.ended));
    });
  });
}
