import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { GatewayError, type JobError } from '../errors.js';
import type { JobStore, ListPage, ListQuery } from '../store/types.js';
import type { UpstreamPool } from '../upstream/pool.js';
import { isFinal, JOB_ID_PATTERN, newJobId, toJobView, type JobRecord } from './job.js';
import { ArgumentValidator } from './argument-validator.js';
import { JobRun, type JobObserver } from './job-run.js';

/** A validated request to start a job. */
export interface StartJob {
  owner: string | null;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  idempotency?: { key: string; fingerprint: string };
}

/**
 * What the HTTP routes ask of jobs: start, read, list, cancel, forget. Jobs of one owner are
 * invisible to every other owner (JOB_NOT_FOUND, never a hint that the id exists).
 */
export class JobService {
  readonly #store: JobStore;
  readonly #pool: UpstreamPool;
  readonly #limits: Config['jobs'];
  readonly #log: Logger;
  readonly #runs = new Map<string, JobRun>();
  readonly #observer: JobObserver | undefined;
  readonly #arguments: ArgumentValidator;
  readonly #running = new Set<Promise<void>>();
  #closing = false;

  constructor(deps: {
    store: JobStore;
    pool: UpstreamPool;
    limits: Config['jobs'];
    logger: Logger;
    observer?: JobObserver;
  }) {
    this.#observer = deps.observer;
    this.#store = deps.store;
    this.#pool = deps.pool;
    this.#limits = deps.limits;
    this.#log = deps.logger;
    this.#arguments = new ArgumentValidator(deps.logger);
    // A shared store relays cancels made on other replicas and renews this process's leases.
    this.#store.attachRunner?.({
      running: () => this.#runs.keys(),
      endedElsewhere: (id) => this.#runs.get(id)?.abandon(),
    });
  }

  /** Jobs this process is running now. */
  get activeCount(): number {
    return this.#runs.size;
  }

  /** Starts a job, or returns the one an identical earlier request (same idempotency key) made. */
  async start(request: StartJob): Promise<{ record: JobRecord; created: boolean }> {
    if (this.#closing) throw new GatewayError('SHUTTING_DOWN', 'The gateway is shutting down');
    const timeoutMs = request.timeoutMs ?? this.#limits.defaultTimeoutMs;
    const idleTimeoutMs = request.idleTimeoutMs ?? this.#limits.defaultIdleTimeoutMs;
    // Only what the client asked for is checked: the defaults are the operator's choice (an idle
    // default above the maximum only means the hard deadline comes first).
    for (const [name, value] of [
      ['timeoutMs', request.timeoutMs],
      ['idleTimeoutMs', request.idleTimeoutMs],
    ] as const) {
      if (value !== undefined && value > this.#limits.maxTimeoutMs) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `options.${name} must be at most ${this.#limits.maxTimeoutMs} ms`,
        );
      }
    }
    const { upstream, tools } = await this.#pool.tools(request.server);
    const tool = tools.find((t) => t.name === request.tool);
    if (!tool) {
      throw new GatewayError(
        'UNKNOWN_TOOL',
        `Upstream '${request.server}' has no tool named '${request.tool}'`,
      );
    }
    this.#arguments.check(request.server, tool, request.arguments);
    const record: JobRecord = {
      id: newJobId(),
      owner: request.owner,
      server: request.server,
      tool: request.tool,
      status: 'queued',
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      progress: null,
      result: null,
      error: null,
      timeoutMs,
      idleTimeoutMs,
    };
    const inserted = await this.#store.insert(record, request.idempotency);
    if (inserted.outcome === 'conflict') {
      throw new GatewayError(
        'IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    if (inserted.outcome === 'existing') return { record: inserted.record, created: false };

    const run = new JobRun(record, request.arguments, {
      upstream,
      store: this.#store,
      logger: this.#log,
      observer: this.#observer,
    });
    this.#runs.set(record.id, run);
    const done = run.run().finally(() => {
      this.#runs.delete(record.id);
      this.#running.delete(done);
    });
    this.#running.add(done);
    return { record, created: true };
  }

  async get(owner: string | null, id: string): Promise<JobRecord> {
    const record = JOB_ID_PATTERN.test(id) ? await this.#store.get(id) : undefined;
    if (!record || record.owner !== owner) {
      throw new GatewayError('JOB_NOT_FOUND', `No job with id '${id}'`);
    }
    return record;
  }

  list(query: ListQuery): Promise<ListPage> {
    return this.#store.list(query);
  }

  /** Cancels a job: it is `cancelled` as soon as this resolves, whatever the upstream does. */
  async cancel(owner: string | null, id: string): Promise<JobRecord> {
    const record = await this.get(owner, id);
    if (isFinal(record.status)) {
      throw new GatewayError('JOB_FINISHED', `Job '${id}' already ended as ${record.status}`);
    }
    const run = this.#runs.get(id);
    const error: JobError = { code: 'CANCELLED', message: 'Cancelled by the client' };
    const ended = run
      ? await run.end('cancelled', error)
      : await this.#endElsewhere(record, 'cancelled', error);
    if (ended) return ended;
    // The run ended between our read and the cancel: report how it ended.
    const now = await this.get(owner, id);
    if (isFinal(now.status)) {
      throw new GatewayError('JOB_FINISHED', `Job '${id}' already ended as ${now.status}`);
    }
    return now;
  }

  /**
   * Ends a job that this process does not run (with a shared store, another replica runs it):
   * the final state is written here, then the runner is told to stop its call. Undefined if the
   * job had already ended.
   */
  async #endElsewhere(
    record: JobRecord,
    status: 'cancelled',
    error: JobError,
  ): Promise<JobRecord | undefined> {
    const final: JobRecord = { ...record, status, error, finishedAt: new Date().toISOString() };
    const stored = await this.#store.commit(final, {
      type: 'done',
      data: JSON.stringify(toJobView(final)),
    });
    if (!stored) return undefined;
    await this.#store.announceEnded?.(record.id).catch((err: unknown) => {
      // The runner still learns it at its next write or lease renewal.
      this.#log.warn({ err, jobId: record.id }, 'could not relay the end of a job to its runner');
    });
    return final;
  }

  async remove(owner: string | null, id: string): Promise<void> {
    await this.get(owner, id);
    const outcome = await this.#store.delete(id);
    if (outcome === 'running') {
      throw new GatewayError('JOB_RUNNING', `Job '${id}' is still running; cancel it first`);
    }
    if (outcome === 'missing') throw new GatewayError('JOB_NOT_FOUND', `No job with id '${id}'`);
  }

  /** Refuses new jobs and ends every running one as `cancelled` with GATEWAY_SHUTDOWN. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#runs.values()].map((run) =>
        run.end('cancelled', {
          code: 'GATEWAY_SHUTDOWN',
          message: 'The gateway shut down while the job ran',
        }),
      ),
    );
    await Promise.all(this.#running);
  }
}
