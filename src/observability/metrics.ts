import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobRecord } from '../domain/job.js';
import type { UpstreamStatus, UpstreamState } from '../upstream/upstream.js';

const UPSTREAM_STATES: readonly UpstreamState[] = [
  'idle',
  'connecting',
  'connected',
  'disconnected',
  'failed',
];

/** Where the metrics read what is counted at scrape time rather than as it happens. */
export interface MetricSources {
  openStreams(): number;
  upstreams(): UpstreamStatus[];
  runningJobs(): number;
  queuedJobs(): number;
}

/**
 * The gateway's Prometheus metrics, in a registry of its own (never prom-client's global one,
 * so two apps in one process — as in the tests — do not collide).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #jobsStarted: Counter<'server' | 'tool'>;
  readonly #jobsFinished: Counter<'server' | 'tool' | 'status' | 'code'>;
  readonly #jobDuration: Histogram<'server' | 'tool' | 'status'>;
  // Counted as a plain number on the hot path (one per event per subscriber), read at scrape time.
  #delivered = 0;
  readonly #slowSubscribers: Counter;
  readonly #storeErrors: Counter<'operation'>;
  readonly #problems: Counter<'code'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    this.#jobsStarted = new Counter({
      name: 'gateway_jobs_started_total',
      help: 'Jobs started, by upstream server and tool',
      labelNames: ['server', 'tool'],
      registers,
    });
    this.#jobsFinished = new Counter({
      name: 'gateway_jobs_finished_total',
      help: 'Jobs that reached a final state, by server, tool, status and error code',
      labelNames: ['server', 'tool', 'status', 'code'],
      registers,
    });
    this.#jobDuration = new Histogram({
      name: 'gateway_job_duration_seconds',
      help: 'Time from a job starting to its final state',
      labelNames: ['server', 'tool', 'status'],
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    const delivered = () => this.#delivered;
    new Counter({
      name: 'gateway_sse_events_delivered_total',
      help: 'Logged events written to SSE subscribers (opening snapshots not counted)',
      registers,
      collect() {
        this.reset();
        this.inc(delivered());
      },
    });
    this.#slowSubscribers = new Counter({
      name: 'gateway_sse_slow_subscribers_disconnected_total',
      help: 'SSE subscribers cut off because their unsent backlog passed SSE_MAX_BACKLOG_BYTES',
      registers,
    });
    this.#storeErrors = new Counter({
      name: 'gateway_store_errors_total',
      help: 'Failed job store operations',
      labelNames: ['operation'],
      registers,
    });
    this.#problems = new Counter({
      name: 'gateway_http_problems_total',
      help: 'Problem (error) answers sent, by problem code (RATE_LIMITED, UPSTREAM_UNAVAILABLE, ...)',
      labelNames: ['code'],
      registers,
    });
    new Gauge({
      name: 'gateway_jobs_running',
      help: 'Jobs this process runs now',
      registers,
      collect() {
        this.set(sources.runningJobs());
      },
    });
    new Gauge({
      name: 'gateway_jobs_queued',
      help: 'Jobs waiting in this process for a place (MAX_RUNNING_JOBS_PER_KEY / _PER_UPSTREAM)',
      registers,
      collect() {
        this.set(sources.queuedJobs());
      },
    });
    new Gauge({
      name: 'gateway_sse_open_streams',
      help: 'SSE responses open now',
      registers,
      collect() {
        this.set(sources.openStreams());
      },
    });
    new Gauge({
      name: 'gateway_upstream_state',
      help: 'Connection state of each upstream (1 for its current state)',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const upstream of sources.upstreams()) {
          for (const state of UPSTREAM_STATES) {
            this.set({ server: upstream.name, state }, upstream.state === state ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'gateway_upstream_reconnects',
      help: 'Times each upstream connection was lost and made again (a restarted stdio server)',
      labelNames: ['server'],
      registers,
      collect() {
        for (const upstream of sources.upstreams()) {
          this.set({ server: upstream.name }, upstream.reconnects);
        }
      },
    });
  }

  problemSent(code: string): void {
    this.#problems.inc({ code });
  }

  jobStarted(record: JobRecord): void {
    this.#jobsStarted.inc({ server: record.server, tool: record.tool });
  }

  jobFinished(record: JobRecord, durationMs: number): void {
    const labels = { server: record.server, tool: record.tool, status: record.status };
    this.#jobsFinished.inc({ ...labels, code: record.error?.code ?? '' });
    this.#jobDuration.observe(labels, durationMs / 1000);
  }

  eventsDelivered(count: number): void {
    this.#delivered += count;
  }

  slowSubscriberDisconnected(): void {
    this.#slowSubscribers.inc();
  }

  storeError(operation: string): void {
    this.#storeErrors.inc({ operation });
  }
}
