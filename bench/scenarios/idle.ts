/**
 * 4. Idle cost: N open streams on one running job that sends nothing (a `ticker` waiting at its
 * gate). Gateway memory after two full GCs before the streams open and once they are all open;
 * the difference per stream is the figure. Then the gate opens: one event and `done` reach every
 * stream, the streams end, and memory is measured again (it should fall back).
 * A second part does the same with fewer streams on a job that already holds `history` events
 * (as many as the default retention, MAX_EVENTS_PER_JOB=1000, keeps): each stream replays them
 * first, then idles.
 */
import { requestJson, startJob } from '../lib/http.js';
import { Gate } from '../lib/gate.js';
import { startGateway, type GatewayHandle, type Mem } from '../lib/processes.js';
import { check, Figures, type Check, type ScenarioResult } from '../lib/report.js';
import { Swarm } from '../lib/swarm.js';
import { swarmProcessesFor, type Context } from './context.js';

const KiB = 1024;

interface IdleRun {
  streams: number;
  history: number;
  before: Mem;
  open: Mem;
  after: Mem;
  openMs: number;
  checks: Check[];
}

/** Waits until the job's latest progress is `progress` (its history is stored). */
async function waitForProgress(port: number, id: string, progress: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await requestJson<{ progress: { progress: number } | null }>(
      port,
      'GET',
      `/v1/jobs/${id}`,
    );
    if ((body.progress?.progress ?? 0) >= progress) return;
    if (Date.now() > deadline) throw new Error(`job ${id} never reached progress ${progress}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function idleRun(
  gateway: GatewayHandle,
  swarm: Swarm,
  n: number,
  history: number,
  label: string,
): Promise<IdleRun> {
  const gate = await new Gate().listen();
  try {
    const post = await startJob(gateway.port, 'ticker', {
      count: history + 1,
      intervalMs: 1,
      before: history,
      gatePort: gate.port,
      gateTimeoutMs: 300_000,
    });
    await gate.waitFor(1);
    if (history > 0) await waitForProgress(gateway.port, post.body.id, history);
    const before = await gateway.mem();
    const opened = await swarm.open(
      gateway.port,
      `/v1/jobs/${post.body.id}/events`,
      n,
      history + 1,
      {
        readyProgress: history,
      },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const open = await gateway.mem();
    gate.open();
    const { latencies: _latencies, ...collected } = await swarm.collect(120_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = await gateway.mem();
    const t = collected.totals;
    return {
      streams: n,
      history,
      before,
      open,
      after,
      openMs: opened.ms,
      checks: [
        check(
          `${label}: ${n} streams opened`,
          opened.ready === n && open.streams === n,
          `${opened.ready} ready, gateway counts ${open.streams}`,
        ),
        check(
          `${label}: every stream got all ${history + 1} events and done, then ended`,
          t.subscribers === n &&
            t.missing === 0 &&
            t.outOfOrder === 0 &&
            t.withoutDone === 0 &&
            !collected.timedOut,
          JSON.stringify({ ...t, timedOut: collected.timedOut }),
        ),
        check(
          `${label}: no stream left open in the gateway`,
          after.streams === 0,
          `${after.streams}`,
        ),
      ],
    };
  } finally {
    await gate.close();
  }
}

export async function idleScenario(ctx: Context): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { streams: n, historyStreams, history } = ctx.sizes.idle;
  const figures = new Figures();
  const details: unknown[] = [];
  const checks: Check[] = [];
  // Room for the whole history (the default of 1000 would drop progress 1 of a 1000-event job).
  const gateway = await startGateway({
    kind: 'probe',
    env: { MAX_EVENTS_PER_JOB: String(Math.max(1000, history + 10)) },
  });
  let swarm: Swarm | undefined;
  try {
    swarm = await Swarm.start(swarmProcessesFor(ctx, n));
    for (let run = 0; run < ctx.runs; run++) {
      const fresh = await idleRun(gateway, swarm, n, 0, `run ${run + 1}`);
      const long = await idleRun(
        gateway,
        swarm,
        historyStreams,
        history,
        `run ${run + 1} with history`,
      );
      const per = (r: IdleRun, key: 'heapUsed' | 'rss') =>
        (r.open[key] - r.before[key]) / r.streams / KiB;
      figures.add('heapPerStream', 'gateway heap per idle stream', 'KiB', per(fresh, 'heapUsed'), {
        max: 8,
      });
      figures.add('rssPerStream', 'gateway RSS per idle stream', 'KiB', per(fresh, 'rss'));
      figures.add(
        'heapReleased',
        'heap released after the streams ended',
        '%',
        ((fresh.open.heapUsed - fresh.after.heapUsed) /
          Math.max(1, fresh.open.heapUsed - fresh.before.heapUsed)) *
          100,
      );
      figures.add(
        'heapPerStreamHistory',
        `gateway heap per idle stream after replaying ${history} events (${historyStreams} streams)`,
        'KiB',
        per(long, 'heapUsed'),
      );
      checks.push(...fresh.checks, ...long.checks);
      for (const r of [fresh, long]) {
        const { checks: _c, ...rest } = r;
        details.push({ run, ...rest });
      }
      ctx.log(
        `idle run ${run + 1}: ${per(fresh, 'heapUsed').toFixed(2)} KiB heap, ${per(fresh, 'rss').toFixed(2)} KiB RSS per stream; after a ${history}-event replay ${per(long, 'heapUsed').toFixed(2)} KiB heap per stream`,
      );
    }
  } finally {
    await swarm?.close();
    await gateway.close();
  }
  return {
    id: 4,
    name: 'idle',
    title: `${n} idle open streams on one silent running job`,
    metrics: figures.metrics(),
    checks,
    notes: [
      'Gateway: bench/gateway-process.ts; memory after two full GCs before and after the streams opened (the streams idle 0.5 s first). Per-stream memory is everything a connection holds in the gateway process: socket, HTTP parser, request/response, Fastify request/reply and child logger, @fastify/sse context, the SseStream and Subscription (no timers: one clock ticks for every stream), and the store listener.',
      `The "after replaying" figure opens ${historyStreams} streams on a job that already holds ${history} events; each stream replays them, then idles. Its excess over the fresh-job figure is memory a stream keeps because of the job's history.`,
    ],
    details,
  };
}
