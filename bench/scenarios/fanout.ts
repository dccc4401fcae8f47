/**
 * 2. Fan-out: one `ticker` job (one event per interval, its send time in `message`) followed by
 * N concurrent SSE subscribers, all connected before the first event (the tool waits at a gate).
 * Delivery latency = a subscriber's receive time minus the upstream's send time. Floor, in the
 * same run: a bare node:http server (bench/children/floor-http.ts) writing one pre-serialised
 * frame per event to the same number of sockets on the same schedule, read by the same code.
 */
import { cpuShares, readCpuTimes } from '../lib/cpu-stat.js';
import { startJob } from '../lib/http.js';
import { Gate } from '../lib/gate.js';
import { startGateway, startWorker, type Mem } from '../lib/processes.js';
import { Figures, type Check, type ScenarioResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';
import { deliveryChecks, Swarm, type SwarmCollected } from '../lib/swarm.js';
import { swarmProcessesFor, type Context } from './context.js';

const KiB = 1024;

interface Delivery {
  latency: Summary;
  /** Machine-wide CPU use per core while delivering (busy, user, system, softirq; percent). */
  machine: ReturnType<typeof cpuShares>;
  collected: Omit<SwarmCollected, 'latencies'>;
  openMs: number;
  memBefore: Mem;
  memOpen: Mem;
  memAfter: Mem;
}

export async function fanoutScenario(ctx: Context): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { subscribers: sizes, events, intervalMs, bigRuns } = ctx.sizes.fanout;
  const figures = new Figures();
  const details: unknown[] = [];
  const checks: Check[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const runs = n > 5000 ? Math.min(ctx.runs, bigRuns) : ctx.runs;
    const procs = swarmProcessesFor(ctx, n);
    const collectTimeoutMs = events * intervalMs + 180_000;
    const serverCpu = ctx.pin ? '0' : undefined;
    const clientCpu = ctx.pin ? '1' : undefined;
    const gateway = await startGateway({
      kind: 'probe',
      env: { SSE_MAX_BACKLOG_BYTES: String(64 * 1024 * 1024) },
      cpus: serverCpu,
    });
    const floor = startWorker('children/floor-http.ts', ['--expose-gc'], serverCpu);
    let swarm: Swarm | undefined;
    try {
      await floor.ready;
      const { port: floorPort } = await floor.request<{ port: number }>(
        { type: 'listen' },
        'listening',
        10_000,
      );
      const floorMem = () =>
        floor.request<{ mem: Mem }>({ type: 'mem' }, 'mem', 20_000).then((r) => r.mem);
      swarm = await Swarm.start(procs, clientCpu);
      for (let run = 0; run < runs; run++) {
        // Through the gateway.
        const gate = await new Gate().listen();
        let g: Delivery & { cpuPerFrameUs: number };
        try {
          const post = await startJob(gateway.port, 'ticker', {
            count: events,
            intervalMs,
            gatePort: gate.port,
            gateTimeoutMs: 300_000,
          });
          await gate.waitFor(1);
          const memBefore = await gateway.mem();
          const cpu0 = gateway.cpu();
          const path = `/v1/jobs/${post.body.id}/events`;
          const opened = await swarm.open(gateway.port, path, n, events);
          if (opened.failed > 0) {
            throw new Error(`gateway subscriptions failed: ${opened.errors.join('; ')}`);
          }
          const memOpen = await gateway.mem();
          const cpu1 = gateway.cpu();
          const machine0 = readCpuTimes();
          gate.open();
          const { latencies, ...collected } = await swarm.collect(collectTimeoutMs);
          const machine = cpuShares(machine0, readCpuTimes());
          const cpu2 = gateway.cpu();
          const memAfter = await gateway.mem();
          g = {
            latency: summarize(latencies),
            collected,
            openMs: opened.ms,
            memBefore,
            memOpen,
            memAfter,
            cpuPerFrameUs: ((cpu2.gateway - cpu1.gateway) / (n * events)) * 1e6,
            machine,
          };
          details.push({
            n,
            run,
            target: 'gateway',
            ...g,
            cpuOpenS: cpu1.gateway - cpu0.gateway,
            cpuDeliverS: cpu2.gateway - cpu1.gateway,
            cpuDeliverUserS: cpu2.gatewayUser - cpu1.gatewayUser,
            cpuDeliverSystemS: cpu2.gatewaySystem - cpu1.gatewaySystem,
            upstreamCpuS: cpu2.upstream - cpu0.upstream,
          });
        } finally {
          await gate.close();
        }

        // The floor.
        const memBefore = await floorMem();
        const opened = await swarm.open(floorPort, '/', n, events);
        if (opened.failed > 0) {
          throw new Error(`floor subscriptions failed: ${opened.errors.join('; ')}`);
        }
        const memOpen = await floorMem();
        const machine0 = readCpuTimes();
        const ran = floor.request<{
          writes: number;
          maxLateMs: number;
          cpuS: number;
          userS: number;
          systemS: number;
        }>({ type: 'run', count: events, intervalMs }, 'ran', collectTimeoutMs);
        const { latencies, ...collected } = await swarm.collect(collectTimeoutMs);
        const floorRun = await ran;
        const machine = cpuShares(machine0, readCpuTimes());
        const memAfter = await floorMem();
        const f: Delivery & { cpuPerFrameUs: number } = {
          latency: summarize(latencies),
          collected,
          openMs: opened.ms,
          memBefore,
          memOpen,
          memAfter,
          cpuPerFrameUs: (floorRun.cpuS / (n * events)) * 1e6,
          machine,
        };
        details.push({ n, run, target: 'floor', ...f, floorRun });

        const perSub = (d: Delivery, key: 'heapUsed' | 'rss') =>
          (d.memOpen[key] - d.memBefore[key]) / n / KiB;
        const label = `${n} subs:`;
        figures.add(`gw${n}P50`, `${label} gateway latency p50`, 'ms', g.latency.p50);
        figures.add(`floor${n}P50`, `${label} floor latency p50`, 'ms', f.latency.p50);
        figures.add(`gw${n}P99`, `${label} gateway latency p99`, 'ms', g.latency.p99);
        figures.add(`floor${n}P99`, `${label} floor latency p99`, 'ms', f.latency.p99);
        figures.add(
          `ratio${n}`,
          `${label} gateway / floor p99`,
          'x',
          g.latency.p99 / f.latency.p99,
          {
            max: 1.5,
          },
        );
        figures.add(
          `gw${n}Heap`,
          `${label} gateway heap per subscriber`,
          'KiB',
          perSub(g, 'heapUsed'),
        );
        figures.add(`gw${n}Rss`, `${label} gateway RSS per subscriber`, 'KiB', perSub(g, 'rss'));
        figures.add(
          `floor${n}Heap`,
          `${label} floor heap per subscriber`,
          'KiB',
          perSub(f, 'heapUsed'),
        );
        figures.add(
          `gw${n}CpuFrame`,
          `${label} gateway CPU per frame delivered`,
          'µs',
          g.cpuPerFrameUs,
        );
        figures.add(
          `floor${n}CpuFrame`,
          `${label} floor CPU per frame written`,
          'µs',
          f.cpuPerFrameUs,
        );
        figures.add(
          `client${n}Elu`,
          `${label} subscriber process busy (gateway run)`,
          '%',
          Math.max(...g.collected.elu) * 100,
        );
        checks.push(...deliveryChecks(`gateway run ${run + 1}`, n, events, g));
        checks.push(...deliveryChecks(`floor run ${run + 1}`, n, events, f));
        ctx.log(
          `fanout ${n} run ${run + 1}: gateway p50 ${g.latency.p50.toFixed(1)} p99 ${g.latency.p99.toFixed(1)} ms, floor p50 ${f.latency.p50.toFixed(1)} p99 ${f.latency.p99.toFixed(1)} ms; CPU/frame ${g.cpuPerFrameUs.toFixed(2)} vs ${f.cpuPerFrameUs.toFixed(2)} µs; client ELU ${g.collected.elu.map((e) => e.toFixed(2)).join(',')} / ${f.collected.elu.map((e) => e.toFixed(2)).join(',')}; machine busy ${g.machine.cpu?.busy ?? '?'}% / ${f.machine.cpu?.busy ?? '?'}%`,
        );
      }
      notes.push(
        `${n} subscribers: ${runs} run(s), subscribers in ${procs} client process(es)` +
          (ctx.pin ? '; server side pinned to CPU 0, subscribers to CPU 1.' : '; no CPU pinning.'),
      );
    } finally {
      await swarm?.close();
      await floor.close();
      await gateway.close();
    }
  }
  notes.push(
    `Ticker: ${events} events, one every ${intervalMs} ms (drift-free schedule), all subscribers connected before the first. Gateway: bench/gateway-process.ts (buildApp + listen, --expose-gc), memory after two full GCs, before and after the subscribers connected. Floor stamps each frame with its scheduled send time, so its own event-loop delay counts as the gateway's does.`,
  );
  return {
    id: 2,
    name: 'fanout',
    title: 'one ticker job to many concurrent subscribers: delivery latency and memory',
    metrics: figures.metrics(),
    checks,
    notes,
    details,
  };
}
