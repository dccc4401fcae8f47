/**
 * Runs the benchmark scenarios in order, each against fresh processes, and collects their figures
 * and checks. Every process a scenario starts is stopped when it ends (and killed on any exit).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuShares, readCpuTimes } from './lib/cpu-stat.js';
import { resetAgent } from './lib/http.js';
import { BENCH, killAll } from './lib/processes.js';
import type { ScenarioResult } from './lib/report.js';
import { FULL, SMOKE, type Context } from './scenarios/context.js';
import { crossReplicaScenario } from './scenarios/cross-replica.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { idleScenario } from './scenarios/idle.js';
import { latencyScenario } from './scenarios/latency.js';
import { manyJobsScenario } from './scenarios/many-jobs.js';
import { slowClientScenario } from './scenarios/slow-client.js';
import { throughputScenario } from './scenarios/throughput.js';

export interface BenchOptions {
  /** Tiny sizes, one run each: a check that everything works, in well under a minute. */
  smoke?: boolean;
  /** Scenario names or numbers to run (default: all). */
  only?: string[];
  /** Runs per scenario (default 3; 1 in smoke mode). */
  runs?: number;
  /** Subscriber processes for fan-out, idle, cross-replica (default: one per 5,000 subscribers). */
  swarmProcesses?: number;
  /** Fan-out subscriber counts instead of the default (2,000 and 10,000; 20 in smoke mode). */
  fanoutSubscribers?: number[];
  /**
   * Fan-out and cross-replica: pin server and subscribers to separate CPUs (default: when there
   * are 2 or more).
   */
  pin?: boolean;
  /** Where to write the JSON figures; `false` for nowhere (default bench/results/<time>.json). */
  out?: string | false;
  log?: (line: string) => void;
}

export interface BenchReport {
  ok: boolean;
  startedAt: string;
  durationMs: number;
  file: string | undefined;
  options: { smoke: boolean; runs: number; only: string[] | null; pin: boolean };
  machine: {
    node: string;
    cpus: number;
    cpuModel: string;
    memGiB: number;
    platform: string;
    loadavg: number[];
  };
  scenarios: ScenarioResult[];
}

type Scenario = (ctx: Context) => Promise<Omit<ScenarioResult, 'durationMs'>>;

export const SCENARIOS: ReadonlyArray<{ id: number; name: string; run: Scenario }> = [
  { id: 0, name: 'latency', run: latencyScenario },
  { id: 1, name: 'throughput', run: throughputScenario },
  { id: 2, name: 'fanout', run: fanoutScenario },
  { id: 3, name: 'many-jobs', run: manyJobsScenario },
  { id: 4, name: 'idle', run: idleScenario },
  { id: 5, name: 'slow-client', run: slowClientScenario },
  { id: 6, name: 'cross-replica', run: crossReplicaScenario },
];

function selected(only: string[] | undefined): typeof SCENARIOS {
  if (!only || only.length === 0) return SCENARIOS;
  const wanted = new Set(only.map((s) => s.trim()).filter(Boolean));
  const picked = SCENARIOS.filter((s) => wanted.has(s.name) || wanted.has(String(s.id)));
  const known = new Set(SCENARIOS.flatMap((s) => [s.name, String(s.id)]));
  const unknown = [...wanted].filter((w) => !known.has(w));
  if (unknown.length) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return picked;
}

/** Machine-wide CPU busy percentage over `ms`, while the benchmark itself is idle. */
async function backgroundBusy(ms: number): Promise<number> {
  const from = readCpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return cpuShares(from, readCpuTimes()).cpu?.busy ?? Number.NaN;
}

/** Runs the benchmark; never throws for a failing scenario (it is reported instead). */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const smoke = options.smoke ?? false;
  const log = options.log ?? ((line: string) => console.error(line));
  const runs = Math.max(1, options.runs ?? (smoke ? 1 : 3));
  const scenarios = selected(options.only);
  const started = Date.now();
  const base = smoke ? SMOKE : FULL;
  const sizes = options.fanoutSubscribers?.length
    ? { ...base, fanout: { ...base.fanout, subscribers: options.fanoutSubscribers } }
    : base;
  const ctx: Context = {
    smoke,
    sizes,
    runs,
    swarmProcesses: options.swarmProcesses ?? 0,
    pin: options.pin ?? os.cpus().length >= 2,
    log,
  };
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      log(`== ${scenario.id} ${scenario.name}`);
      const backgroundBusyPct = await backgroundBusy(smoke ? 250 : 1000);
      if (backgroundBusyPct > 15) {
        log(
          `   machine already ${backgroundBusyPct}% busy before the scenario: figures will be noisy`,
        );
      }
      const t0 = performance.now();
      try {
        const result = await scenario.run(ctx);
        if (backgroundBusyPct > 15 && result.skipped === undefined) {
          result.notes.push(
            `The machine was already ${backgroundBusyPct}% busy (all cores) before this scenario started: other work competed with it, so its timings are pessimistic and noisy.`,
          );
        }
        results.push({ ...result, durationMs: performance.now() - t0, backgroundBusyPct });
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        log(`scenario ${scenario.name} failed: ${message}`);
        results.push({
          id: scenario.id,
          name: scenario.name,
          title: scenario.name,
          metrics: [],
          checks: [{ name: 'scenario completed', ok: false, detail: message }],
          notes: [],
          details: [],
          durationMs: performance.now() - t0,
          backgroundBusyPct,
          error: (error as Error).message,
        });
      } finally {
        resetAgent();
      }
      log(`   ${scenario.name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    killAll();
  }
  const ok = results.every(
    (r) =>
      !r.error &&
      r.checks.every((c) => c.ok) &&
      r.metrics.every((m) => m.runs.length > 0 && m.runs.every(Number.isFinite)),
  );
  const report: BenchReport = {
    ok,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    file: undefined,
    options: { smoke, runs, only: options.only ?? null, pin: ctx.pin },
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGiB: Math.round(os.totalmem() / 1024 ** 3),
      platform: `${os.platform()} ${os.release()}`,
      loadavg: os.loadavg(),
    },
    scenarios: results,
  };
  if (options.out !== false) {
    const file =
      options.out ??
      path.join(
        BENCH,
        'results',
        `${new Date(started).toISOString().replace(/[:.]/g, '-')}${smoke ? '-smoke' : ''}.json`,
      );
    mkdirSync(path.dirname(file), { recursive: true });
    report.file = file;
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  }
  return report;
}
