/** What every scenario is given: its sizes (full or smoke), how many runs, and a logger. */

export interface Sizes {
  latency: { jobs: number; events: number; warmup: number };
  throughput: { count: number; warmup: number };
  fanout: {
    subscribers: number[];
    events: number;
    intervalMs: number;
    /** Runs for sizes above 5,000 subscribers (at most the general run count). */
    bigRuns: number;
  };
  manyJobs: { jobs: number; events: number; group: number; warmup: number };
  /** `historyStreams` streams also open on a job already holding `history` events. */
  idle: { streams: number; historyStreams: number; history: number };
  /** `pad`: characters of `message` per event (bigger events fill the socket buffers sooner). */
  slowClient: { count: number; pad: number; backlogBytes: number; readFirst: number };
  /**
   * Subscribers per configuration (memory store, Redis same replica, Redis cross-replica), the
   * ticker's events and interval, and the events of the warm-up job each configuration runs first.
   */
  crossReplica: { subscribers: number; events: number; intervalMs: number; warmupEvents: number };
}

export const FULL: Sizes = {
  latency: { jobs: 50, events: 5, warmup: 10 },
  throughput: { count: 20_000, warmup: 2_000 },
  fanout: { subscribers: [2_000, 10_000], events: 100, intervalMs: 20, bigRuns: 2 },
  manyJobs: { jobs: 500, events: 20, group: 50, warmup: 500 },
  idle: { streams: 5_000, historyStreams: 1_000, history: 1_000 },
  slowClient: { count: 100_000, pad: 0, backlogBytes: 1024 * 1024, readFirst: 100 },
  crossReplica: { subscribers: 200, events: 100, intervalMs: 20, warmupEvents: 20 },
};

export const SMOKE: Sizes = {
  latency: { jobs: 5, events: 3, warmup: 1 },
  throughput: { count: 200, warmup: 50 },
  fanout: { subscribers: [20], events: 10, intervalMs: 20, bigRuns: 1 },
  manyJobs: { jobs: 10, events: 20, group: 5, warmup: 2 },
  idle: { streams: 50, historyStreams: 20, history: 100 },
  slowClient: { count: 10_000, pad: 1000, backlogBytes: 64 * 1024, readFirst: 100 },
  crossReplica: { subscribers: 10, events: 10, intervalMs: 20, warmupEvents: 3 },
};

export interface Context {
  smoke: boolean;
  sizes: Sizes;
  runs: number;
  /** Subscriber processes for the fan-out, idle and cross-replica scenarios (0: automatic). */
  swarmProcesses: number;
  /**
   * Fan-out and cross-replica: pin the server side (gateways + upstreams, or the floor) to CPU 0
   * and the subscriber process(es) to CPU 1, so the two sides do not compete for the same cores.
   */
  pin: boolean;
  log(line: string): void;
}

/**
 * How many subscriber processes to use for `subscribers`: as asked, else one when pinned (they
 * would share one core anyway), else one per 5,000 subscribers.
 */
export function swarmProcessesFor(ctx: Context, subscribers: number): number {
  if (ctx.swarmProcesses > 0) return ctx.swarmProcesses;
  if (ctx.pin) return 1;
  return Math.max(1, Math.ceil(subscribers / 5_000));
}
