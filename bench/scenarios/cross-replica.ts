/**
 * 6. Cross-replica delivery: two gateway replicas (A and B) on one Redis (STORE=redis, a key
 * prefix of this run's own), and a memory-store gateway beside them. A `ticker` job runs on A
 * (its upstream stamps each event's `message` with its send time) and N subscribers, all
 * connected before the first event (the tool waits at a gate), follow it on B: the event goes
 * upstream → A → Redis Stream → B → subscribers. Delivery latency = a subscriber's receive time
 * minus the upstream's send time. In the same run, the same job with the subscribers on A (one
 * process, same store) and on the memory-store gateway (one process, no Redis), so the table
 * shows the cost of the extra hop next to the single-process figures.
 *
 * Skipped when Redis does not answer (an error under CI=true, as the Redis tests do). Every key
 * the replicas wrote is deleted at the end, and a check asserts that none is left.
 */
import { startJob } from '../lib/http.js';
import { Gate } from '../lib/gate.js';
import { startGateway, type GatewayHandle } from '../lib/processes.js';
import {
  BENCH_REDIS_URL,
  countKeys,
  deleteKeys,
  redisForBench,
  uniqueBenchPrefix,
} from '../lib/redis.js';
import { check, Figures, type Check, type ScenarioResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';
import { deliveryChecks, Swarm, type SwarmCollected } from '../lib/swarm.js';
import { swarmProcessesFor, type Context } from './context.js';

type SetupKey = 'memory' | 'same' | 'cross';

/** Where the job runs and where its subscribers connect. */
interface Setup {
  key: SetupKey;
  label: string;
  jobOn: GatewayHandle;
  subscribeOn: GatewayHandle;
}

interface Delivery {
  latency: Summary;
  collected: Omit<SwarmCollected, 'latencies'>;
  /** How long the subscriptions took to open (each one up to its status snapshot). */
  openMs: number;
}

/** Runs one gated ticker job on `setup.jobOn` and delivers it to `n` subscribers. */
async function deliver(
  swarm: Swarm,
  setup: Setup,
  n: number,
  events: number,
  intervalMs: number,
): Promise<Delivery> {
  const gate = await new Gate().listen();
  try {
    const post = await startJob(setup.jobOn.port, 'ticker', {
      count: events,
      intervalMs,
      gatePort: gate.port,
      gateTimeoutMs: 300_000,
    });
    await gate.waitFor(1);
    const path = `/v1/jobs/${post.body.id}/events`;
    const opened = await swarm.open(setup.subscribeOn.port, path, n, events);
    if (opened.failed > 0) {
      throw new Error(`${setup.label}: subscriptions failed: ${opened.errors.join('; ')}`);
    }
    gate.open();
    const { latencies, ...collected } = await swarm.collect(events * intervalMs + 120_000);
    return { latency: summarize(latencies), collected, openMs: opened.ms };
  } finally {
    await gate.close();
  }
}

export async function crossReplicaScenario(
  ctx: Context,
): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { subscribers: n, events, intervalMs, warmupEvents } = ctx.sizes.crossReplica;
  const title = `one ticker job to ${n} subscribers on another replica (Redis) vs one process`;
  const redis = await redisForBench(BENCH_REDIS_URL);
  if (redis.skip) {
    ctx.log(`   skipped: ${redis.skip}`);
    return {
      id: 6,
      name: 'cross-replica',
      title,
      metrics: [],
      checks: [],
      notes: [],
      details: [],
      skipped: redis.skip,
    };
  }

  const figures = new Figures();
  const details: unknown[] = [];
  const checks: Check[] = [];
  const notes: string[] = [];
  const prefix = uniqueBenchPrefix('cross-replica');
  const serverCpu = ctx.pin ? '0' : undefined;
  const clientCpu = ctx.pin ? '1' : undefined;
  const procs = swarmProcessesFor(ctx, n);
  const replicaEnv = {
    STORE: 'redis',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    // Should the bench be killed before it deletes its keys, finished jobs expire soon anyway.
    JOB_RETENTION_MS: String(10 * 60_000),
  };
  const gateways: GatewayHandle[] = [];
  let swarm: Swarm | undefined;
  let keysDeleted = Number.NaN;
  try {
    const started = await Promise.allSettled([
      startGateway({ kind: 'main', cpus: serverCpu }),
      startGateway({ kind: 'main', env: replicaEnv, cpus: serverCpu }),
      startGateway({ kind: 'main', env: replicaEnv, cpus: serverCpu }),
    ]);
    // Whichever did start is stopped below, even when another one failed.
    for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
    const failure = started.find((s) => s.status === 'rejected');
    if (failure) throw failure.reason;
    const [memory, a, b] = gateways as [GatewayHandle, GatewayHandle, GatewayHandle];
    swarm = await Swarm.start(procs, clientCpu);
    const setups: Setup[] = [
      { key: 'memory', label: 'memory store, one process', jobOn: memory, subscribeOn: memory },
      { key: 'same', label: 'Redis, subscribers on A (same replica)', jobOn: a, subscribeOn: a },
      { key: 'cross', label: 'Redis, subscribers on B (cross-replica)', jobOn: a, subscribeOn: b },
    ];

    // A warm-up job per configuration (JIT, connections, Redis scripts); its figures are dropped.
    for (const setup of setups) {
      const d = await deliver(swarm, setup, n, warmupEvents, intervalMs);
      const failed = deliveryChecks(`warm-up, ${setup.label}`, n, warmupEvents, d).filter(
        (c) => !c.ok,
      );
      if (failed.length > 0) {
        throw new Error(failed.map((c) => `${c.name}: ${c.detail}`).join('\n'));
      }
    }

    for (let run = 0; run < ctx.runs; run++) {
      const got = {} as Record<SetupKey, Delivery>;
      for (const setup of setups) {
        const d = await deliver(swarm, setup, n, events, intervalMs);
        got[setup.key] = d;
        checks.push(...deliveryChecks(`run ${run + 1}, ${setup.label}`, n, events, d));
        details.push({ run, n, events, intervalMs, target: setup.key, ...d });
      }
      for (const setup of setups) {
        const { p50, p99 } = got[setup.key].latency;
        figures.add(`${setup.key}P50`, `${setup.label}: latency p50`, 'ms', p50);
        figures.add(`${setup.key}P99`, `${setup.label}: latency p99`, 'ms', p99);
      }
      const { memory: m, same: s, cross: c } = got;
      figures.add(
        'crossSameP50',
        'cross-replica / same replica, p50',
        'x',
        c.latency.p50 / s.latency.p50,
      );
      figures.add(
        'crossSameP99',
        'cross-replica / same replica, p99',
        'x',
        c.latency.p99 / s.latency.p99,
      );
      figures.add(
        'crossMemoryP50',
        'cross-replica / memory store, p50',
        'x',
        c.latency.p50 / m.latency.p50,
      );
      figures.add(
        'crossMemoryP99',
        'cross-replica / memory store, p99',
        'x',
        c.latency.p99 / m.latency.p99,
      );
      const text = (d: Delivery) =>
        `p50 ${d.latency.p50.toFixed(2)} p99 ${d.latency.p99.toFixed(2)}`;
      ctx.log(
        `cross-replica run ${run + 1}: memory ${text(m)} ms; redis same replica ${text(s)} ms; cross-replica ${text(c)} ms`,
      );
    }
  } finally {
    await swarm?.close();
    await Promise.all(gateways.map((g) => g.close()));
    try {
      keysDeleted = await deleteKeys(redis.url, prefix);
    } catch (error) {
      ctx.log(`   could not delete the Redis keys under ${prefix}: ${(error as Error).message}`);
    }
  }
  const keysLeft = await countKeys(redis.url, prefix);
  checks.push(
    check(
      `every Redis key under the run's prefix removed`,
      keysLeft === 0,
      `${keysDeleted} deleted, ${keysLeft} left under ${prefix}`,
    ),
  );
  notes.push(
    `Ticker: ${events} events, one every ${intervalMs} ms, to ${n} subscribers (${procs} client process(es)), all connected before the first event; after a warm-up job of ${warmupEvents} events per configuration. Each run delivers one job per configuration, in the order memory store, Redis same replica, Redis cross-replica.`,
    `Gateways: node --import tsx src/main.ts (LOG_LEVEL=warn), each with the bench upstream over stdio; replicas A and B: STORE=redis, REDIS_URL=${redis.url}, REDIS_KEY_PREFIX=${prefix} (deleted afterwards). The job always runs on A; "same replica" subscribes on A, "cross-replica" on B.` +
      (ctx.pin
        ? ' Every gateway and its upstream pinned to CPU 0, the subscribers to CPU 1; Redis is not pinned.'
        : ' No CPU pinning.'),
  );
  return {
    id: 6,
    name: 'cross-replica',
    title,
    metrics: figures.metrics(),
    checks,
    notes,
    details,
  };
}
