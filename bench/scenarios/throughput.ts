/**
 * 1. Throughput of one job's stream: the upstream floods `count` progress notifications; timed
 * from sending the POST until the SSE client has every one (1..count in order) and `done`.
 * Floor: the same `flood` called with the SDK Client over stdio in one process, no gateway
 * (bench/children/floor-sdk.ts), with our own token + notification handler (receives all), and
 * with the SDK's `onprogress` (counted: it may lose the last ones).
 */
import { StreamCheck, type StreamFigures } from '../lib/check.js';
import { startJob } from '../lib/http.js';
import { openRawSse } from '../lib/lite-sse.js';
import { startGateway, startWorker } from '../lib/processes.js';
import { check, Figures, type ScenarioResult } from '../lib/report.js';
import { median } from '../lib/stats.js';
import type { Context } from './context.js';

interface FloodTiming {
  ms: number;
  lastProgressMs: number;
  figures: StreamFigures;
  distinctIds: boolean;
  gatewayCpuS: number;
  upstreamCpuS: number;
  clientCpuS: number;
}

/** Floods `count` events through the gateway and reads them all on one SSE stream. */
async function floodThroughGateway(
  gateway: { port: number; cpu(): { gateway: number; upstream: number } },
  count: number,
): Promise<FloodTiming> {
  const cpu0 = gateway.cpu();
  const client0 = process.cpuUsage();
  const post = await startJob(gateway.port, 'flood', { count });
  const stream = new StreamCheck(count);
  const ids = new Set<string>();
  let logged = 0;
  let done = Number.NaN;
  let lastProgress = Number.NaN;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('flood stream did not end in 5 min')), 300_000);
    openRawSse({
      port: gateway.port,
      path: `/v1/jobs/${post.body.id}/events`,
      onEvent(event, at) {
        if (stream.onEvent(event)) lastProgress = at;
        if (event.id !== undefined) {
          ids.add(event.id);
          logged++;
        }
        if (event.event === 'done') done = at;
      },
      onClose() {
        clearTimeout(timer);
        resolve();
      },
    });
  });
  const cpu1 = gateway.cpu();
  const client = process.cpuUsage(client0);
  return {
    ms: done - post.sentAt,
    lastProgressMs: lastProgress - post.sentAt,
    figures: stream.figures(),
    distinctIds: ids.size === logged,
    gatewayCpuS: cpu1.gateway - cpu0.gateway,
    upstreamCpuS: cpu1.upstream - cpu0.upstream,
    clientCpuS: (client.user + client.system) / 1e6,
  };
}

interface FloorRun {
  ms: number;
  received: number;
  inOrder: boolean;
  onerrors: number;
}

/** The floor process: one timed SDK call per request, per variant (bench/children/floor-sdk.ts). */
async function startFloor(warmup: number) {
  const worker = startWorker('children/floor-sdk.ts');
  await worker.ready;
  return {
    run: async (variant: 'handler' | 'onprogress', count: number) =>
      (
        await worker.request<{ run: FloorRun }>(
          { type: 'run', variant, count, warmup },
          'result',
          600_000,
        )
      ).run,
    close: () => worker.close(),
  };
}

export async function throughputScenario(
  ctx: Context,
): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { count, warmup } = ctx.sizes.throughput;
  const figures = new Figures();
  const details: unknown[] = [];
  const checks = [];
  const gatewayRuns: FloodTiming[] = [];
  const handler: FloorRun[] = [];
  const onprogress: FloorRun[] = [];
  const gateway = await startGateway({
    kind: 'main',
    env: {
      MAX_EVENTS_PER_JOB: String(Math.max(1000, count + 100)),
      SSE_MAX_BACKLOG_BYTES: String(512 * 1024 * 1024),
    },
  });
  let floor: Awaited<ReturnType<typeof startFloor>> | undefined;
  try {
    floor = await startFloor(warmup);
    await floodThroughGateway(gateway, warmup);
    // Gateway and floors take turns, so that each run's ratio compares like with like.
    for (let run = 0; run < ctx.runs; run++) {
      const t = await floodThroughGateway(gateway, count);
      gatewayRuns.push(t);
      handler.push(await floor.run('handler', count));
      onprogress.push(await floor.run('onprogress', count));
      ctx.log(
        `throughput run ${run + 1}: gateway ${t.ms.toFixed(0)} ms (${((count / t.ms) * 1000).toFixed(0)} events/s), floor ${handler[run]!.ms.toFixed(0)} ms; cpu gateway ${t.gatewayCpuS.toFixed(2)} s upstream ${t.upstreamCpuS.toFixed(2)} s client ${t.clientCpuS.toFixed(2)} s`,
      );
    }
  } finally {
    await floor?.close();
    await gateway.close();
  }

  for (let run = 0; run < ctx.runs; run++) {
    const g = gatewayRuns[run]!;
    const h = handler[run]!;
    const o = onprogress[run]!;
    figures.add('gatewayMs', `gateway: POST → all ${count} events + done`, 'ms', g.ms);
    figures.add(
      'gatewayRate',
      'gateway: events/s on one SSE stream',
      'ev/s',
      (count / g.ms) * 1000,
    );
    figures.add('floorMs', 'floor (SDK + own handler): call → result', 'ms', h.ms);
    figures.add('floorRate', 'floor (SDK + own handler): events/s', 'ev/s', (count / h.ms) * 1000);
    figures.add(
      'floorOnprogressRate',
      'floor (SDK onprogress): events/s',
      'ev/s',
      (count / o.ms) * 1000,
    );
    figures.add(
      'floorOnprogressReceived',
      'floor (SDK onprogress): events received',
      '',
      o.received,
    );
    figures.add('ratio', 'gateway / floor time', 'x', g.ms / h.ms, { max: 1.3 });
    figures.add('gatewayCpu', 'gateway CPU during the run', 's', g.gatewayCpuS);
    figures.add('upstreamCpu', 'upstream CPU during the run', 's', g.upstreamCpuS);
    details.push({ run, count, gateway: g, floorHandler: h, floorOnprogress: o });
  }
  const bad = gatewayRuns.filter(
    (g) =>
      g.figures.missing !== 0 ||
      g.figures.outOfOrder !== 0 ||
      !g.figures.gotDone ||
      g.figures.doneStatus !== 'succeeded' ||
      g.figures.missingIds !== 0 ||
      !g.distinctIds,
  );
  checks.push(
    check(
      `gateway stream: progress 1..${count} in order, distinct ids, done`,
      bad.length === 0 && gatewayRuns.length === ctx.runs,
      JSON.stringify(gatewayRuns.map((g) => g.figures)),
    ),
    check(
      'floor with own handler received every notification in order',
      handler.every((h) => h.received === count && h.inOrder),
      JSON.stringify(handler),
    ),
  );
  const lost = onprogress.map((o) => count - o.received);
  return {
    id: 1,
    name: 'throughput',
    title: `one job, ${count} progress notifications as fast as the upstream sends them`,
    metrics: figures.metrics(),
    checks,
    notes: [
      `SDK onprogress floor lost ${lost.join(' / ')} of ${count} notifications per run (typescript-sdk #2580); the gateway and the handler floor lose none.`,
      `The gateway figure includes HTTP, the event log and SSE parsing by the client (raw socket in the runner process); median gateway CPU ${median(gatewayRuns.map((g) => g.gatewayCpuS)).toFixed(2)} s, upstream ${median(gatewayRuns.map((g) => g.upstreamCpuS)).toFixed(2)} s, client ${median(gatewayRuns.map((g) => g.clientCpuS)).toFixed(2)} s per run.`,
    ],
    details,
  };
}
