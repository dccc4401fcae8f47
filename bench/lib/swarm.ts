/** The runner's handle on one or more subscriber processes (bench/children/swarm.ts). */
import type { StreamTotals } from './check.js';
import { startWorker, type Worker } from './processes.js';
import { check, type Check } from './report.js';
import type { Summary } from './stats.js';

/** The subscribers' figures summed over every swarm process. */
export type SwarmTotals = StreamTotals;

export interface SwarmOpened {
  ready: number;
  failed: number;
  errors: string[];
  ms: number;
}

export interface SwarmCollected {
  totals: SwarmTotals;
  latencies: Float64Array;
  stillOpen: number;
  timedOut: boolean;
  errors: string[];
  lastEventAt: number;
  /** How long the slowest process waited for its subscriptions to end. */
  collectMs: number;
  /** CPU milliseconds and event-loop utilisation of each subscriber process while collecting. */
  cpuMs: number[];
  elu: number[];
}

export class Swarm {
  readonly #workers: Worker[];

  private constructor(workers: Worker[]) {
    this.#workers = workers;
  }

  /** Starts `processes` subscriber processes, pinned to `cpus` if given. */
  static async start(processes: number, cpus?: string): Promise<Swarm> {
    const workers = Array.from({ length: processes }, () =>
      startWorker('children/swarm.ts', [], cpus),
    );
    const swarm = new Swarm(workers);
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (error) {
      await swarm.close();
      throw error;
    }
    return swarm;
  }

  get processes(): number {
    return this.#workers.length;
  }

  /** Opens `count` subscriptions to `path`, split evenly over the processes. */
  async open(
    port: number,
    path: string,
    count: number,
    expect: number,
    options: { concurrency?: number; timeoutMs?: number; readyProgress?: number } = {},
  ): Promise<SwarmOpened> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const n = this.#workers.length;
    const replies = await Promise.all(
      this.#workers.map((w, i) => {
        const share = Math.floor(count / n) + (i < count % n ? 1 : 0);
        return w.request<SwarmOpened>(
          {
            type: 'open',
            port,
            path,
            count: share,
            expect,
            concurrency: options.concurrency ?? 200,
            readyProgress: options.readyProgress ?? 0,
            timeoutMs,
          },
          'opened',
          timeoutMs + 5000,
        );
      }),
    );
    return {
      ready: replies.reduce((s, r) => s + r.ready, 0),
      failed: replies.reduce((s, r) => s + r.failed, 0),
      errors: replies.flatMap((r) => r.errors),
      ms: Math.max(...replies.map((r) => r.ms)),
    };
  }

  /** Waits until every subscription closed (or `timeoutMs`), merging the processes' figures. */
  async collect(timeoutMs: number): Promise<SwarmCollected> {
    type Reply = Omit<SwarmCollected, 'cpuMs' | 'elu'> & { cpuMs: number; elu: number };
    const replies = await Promise.all(
      this.#workers.map((w) =>
        w.request<Reply>({ type: 'collect', timeoutMs }, 'collected', timeoutMs + 30_000),
      ),
    );
    const totals = { ...replies[0]!.totals };
    for (const r of replies.slice(1)) {
      for (const key of Object.keys(totals) as (keyof SwarmTotals)[]) totals[key] += r.totals[key];
    }
    const length = replies.reduce((s, r) => s + r.latencies.length, 0);
    const latencies = new Float64Array(length);
    let at = 0;
    for (const r of replies) {
      latencies.set(r.latencies, at);
      at += r.latencies.length;
    }
    return {
      totals,
      latencies,
      stillOpen: replies.reduce((s, r) => s + r.stillOpen, 0),
      timedOut: replies.some((r) => r.timedOut),
      errors: replies.flatMap((r) => r.errors),
      lastEventAt: Math.max(...replies.map((r) => r.lastEventAt)),
      collectMs: Math.max(...replies.map((r) => r.collectMs)),
      cpuMs: replies.map((r) => r.cpuMs),
      elu: replies.map((r) => r.elu),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
  }
}

/**
 * The checks of one delivery to `n` swarm subscribers of a job of `events` progress events:
 * every stream complete and in order (snapshot, 1..events, done, nothing after), nothing timed
 * out, and one latency sample per subscriber and event.
 */
export function deliveryChecks(
  label: string,
  n: number,
  events: number,
  d: { latency: Summary; collected: Omit<SwarmCollected, 'latencies'> },
): Check[] {
  const t = d.collected.totals;
  return [
    check(
      `${label}: ${n} subscribers got events 1..${events} in order, then done`,
      t.subscribers === n &&
        t.missing === 0 &&
        t.outOfOrder === 0 &&
        t.withoutDone === 0 &&
        t.withoutSnapshot === 0 &&
        t.notSucceeded === 0 &&
        t.afterDone === 0 &&
        !d.collected.timedOut,
      JSON.stringify({ ...t, timedOut: d.collected.timedOut, errors: d.collected.errors }),
    ),
    check(
      `${label}: one latency sample per subscriber and event`,
      d.latency.n === n * events,
      `${d.latency.n} of ${n * events}`,
    ),
  ];
}
