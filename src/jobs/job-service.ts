import type { Logger } from 'pino';
import { AccessPolicy } from '../access/access-policy.js';
import type { Config } from '../config/index.js';
import { GatewayError, type JobError } from '../errors.js';
import type { EventFormat } from '../domain/events.js';
import {
  isFinal,
  JOB_ID_PATTERN,
  newJobId,
  type JobRecord,
  type PendingInput,
} from '../domain/job.js';
import type { InputAnswer } from '../upstream/call-handlers.js';
import { InputForm } from './input-answer.js';
import type { JobStore, ListPage, ListQuery } from '../store/types.js';
import type { UpstreamPool } from '../upstream/pool.js';
import type { UpstreamApi as Upstream } from '../upstream/upstream-api.js';
import { ArgumentValidator } from './argument-validator.js';
import { JobRun, type JobObserver } from './job-run.js';
import { RunSlots, type SlotLimits } from './run-slots.js';

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

/** The body of POST /v1/jobs/{id}/input. */
export interface InputAnswerRequest {
  requestId: string;
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/** The answer to send upstream, or INVALID_INPUT naming what does not fit the request. */
function checkAnswer(pending: PendingInput, answer: InputAnswerRequest): InputAnswer {
  if (answer.action !== 'accept' || pending.mode === 'url') {
    if (answer.content !== undefined) {
      throw new GatewayError(
        'INVALID_INPUT',
        answer.action === 'accept'
          ? 'A URL-mode request is answered without content'
          : `content goes with action 'accept' only`,
        { extensions: { errors: [{ pointer: '/content', message: 'is not allowed here' }] } },
      );
    }
    return { action: answer.action };
  }
  const form = InputForm.from(pending.requestedSchema);
  const checked = form?.check(answer.content ?? {});
  if (!checked) return { action: 'accept', content: answer.content ?? {} };
  if (!checked.ok) {
    throw new GatewayError(
      'INVALID_INPUT',
      checked.problems.map((p) => `${p.pointer} ${p.message}`).join('; '),
      { extensions: { errors: checked.problems } },
    );
  }
  return { action: 'accept', content: checked.content };
}

/** The job as it stands once `requestId` has been answered (on the replica that runs it). */
function withoutRequest(record: JobRecord, requestId: string): JobRecord {
  const pendingInput = record.pendingInput.filter((p) => p.requestId !== requestId);
  const waiting = pendingInput.length > 0 || record.task?.status === 'input_required';
  return { ...record, pendingInput, status: waiting ? 'input_required' : 'running' };
}

/** A stored job waiting for a place to run (RunSlots); its call has not been made. */
interface QueuedJob {
  record: JobRecord;
  arguments: Record<string, unknown>;
  upstream: Upstream;
}

const SHUTDOWN_ERROR: JobError = {
  code: 'GATEWAY_SHUTDOWN',
  message: 'The gateway shut down while the job ran',
};
const SHUTDOWN_QUEUED: JobError = {
  code: 'GATEWAY_SHUTDOWN',
  message: 'The gateway shut down before the job could run',
};

/**
 * What the HTTP routes ask of jobs: start, read, list, cancel, forget. Jobs of one owner are
 * invisible to every other owner (JOB_NOT_FOUND, never a hint that the id exists), and upstreams
 * and tools a key may not use look like ones that do not exist.
 *
 * A job over the running caps (RunSlots) is stored `queued` and starts when a place frees up;
 * its deadlines start then. A queued job that is cancelled, or still waiting at shutdown, never
 * starts.
 */
export class JobService {
  readonly #store: JobStore;
  readonly #pool: UpstreamPool;
  readonly #limits: Config['jobs'];
  readonly #log: Logger;
  readonly #runs = new Map<string, JobRun>();
  readonly #queued = new Map<string, QueuedJob>();
  readonly #slots: RunSlots;
  readonly #access: AccessPolicy;
  readonly #observer: JobObserver | undefined;
  readonly #format: EventFormat;
  readonly #arguments: ArgumentValidator;
  readonly #running = new Set<Promise<void>>();
  #closing = false;

  constructor(deps: {
    store: JobStore;
    pool: UpstreamPool;
    /** How a job's `status` and `done` data look (the API's job view). */
    format: EventFormat;
    limits: Config['jobs'];
    logger: Logger;
    observer?: JobObserver;
    /** Per-key allow-lists; default: everyone may use everything. */
    access?: AccessPolicy;
    /** Running caps and queue bound; default: no caps. */
    slots?: SlotLimits;
  }) {
    this.#observer = deps.observer;
    this.#store = deps.store;
    this.#format = deps.format;
    this.#pool = deps.pool;
    this.#limits = deps.limits;
    this.#log = deps.logger;
    this.#arguments = new ArgumentValidator(deps.logger);
    this.#access = deps.access ?? new AccessPolicy([]);
    this.#slots = new RunSlots(
      deps.slots ?? {
        maxRunningPerKey: Infinity,
        maxRunningPerUpstream: Infinity,
        maxQueuedPerKey: Infinity,
      },
    );
    // A shared store relays cancels made on other replicas and renews this process's leases,
    // queued jobs included (they are this process's to start).
    this.#store.attachRunner?.({
      running: () => [...this.#runs.keys(), ...this.#queued.keys()],
      inputAnswered: (id, requestId, answer) => {
        this.#runs.get(id)?.answerInput(requestId, answer);
      },
      endedElsewhere: (id) => {
        if (this.#queued.delete(id)) this.#slots.release(id);
        else this.#runs.get(id)?.abandon();
      },
    });
  }

  /** Jobs this process is running now. */
  get activeCount(): number {
    return this.#runs.size;
  }

  /** Whether `shutdown` was called: new jobs are refused and the gateway is not ready. */
  get shuttingDown(): boolean {
    return this.#closing;
  }

  /** Jobs waiting in this process for a place to run. */
  get queuedCount(): number {
    return this.#queued.size;
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
    // Not allowed looks exactly like not there, and nothing is contacted for it.
    if (!this.#access.allowsServer(request.owner, request.server)) {
      throw new GatewayError('UNKNOWN_SERVER', `No upstream server is named '${request.server}'`);
    }
    const { upstream, tools } = await this.#pool.tools(request.server);
    const tool = tools.find(
      (t) =>
        t.name === request.tool && this.#access.allowsTool(request.owner, request.server, t.name),
    );
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
      statusMessage: null,
      task: null,
      pendingInput: [],
      lastInput: null,
      timeoutMs,
      idleTimeoutMs,
    };
    // The place is taken before the job is stored, so a refusal leaves nothing behind.
    if (this.#slots.claim(record.id, request.owner, request.server) === 'full') {
      throw new GatewayError(
        'TOO_MANY_QUEUED_JOBS',
        'This key already has as many jobs waiting to run as it may; retry when some have started',
        { headers: { 'retry-after': '5' } },
      );
    }
    let inserted;
    try {
      inserted = await this.#store.insert(record, request.idempotency);
    } catch (error) {
      this.#slots.release(record.id);
      throw error;
    }
    if (inserted.outcome !== 'created') this.#slots.release(record.id);
    if (inserted.outcome === 'conflict') {
      throw new GatewayError(
        'IDEMPOTENCY_CONFLICT',
        'This Idempotency-Key was already used with a different request body',
      );
    }
    if (inserted.outcome === 'existing') return { record: inserted.record, created: false };

    this.#queued.set(record.id, { record, arguments: request.arguments, upstream });
    if (this.#closing) {
      // Shutdown began while the job was being stored: it never starts.
      this.#queued.delete(record.id);
      this.#slots.release(record.id);
      const ended = await this.#endQueued(record, SHUTDOWN_QUEUED);
      return { record: ended ?? record, created: true };
    }
    this.#slots.activate(record.id, () => this.#launch(record.id));
    return { record, created: true };
  }

  /** Starts the call of a queued job that was given a place. */
  #launch(id: string): void {
    const job = this.#queued.get(id);
    if (!job) return;
    this.#queued.delete(id);
    const run = new JobRun(job.record, job.arguments, {
      upstream: job.upstream,
      store: this.#store,
      logger: this.#log,
      observer: this.#observer,
      jobData: this.#format.jobData,
      inputTimeoutMs: this.#limits.inputTimeoutMs,
    });
    this.#runs.set(id, run);
    const done = run.run().finally(() => {
      this.#runs.delete(id);
      this.#running.delete(done);
      this.#slots.release(id);
    });
    this.#running.add(done);
  }

  /** Ends a job that never started; undefined if it had already ended (e.g. elsewhere). */
  async #endQueued(record: JobRecord, error: JobError): Promise<JobRecord | undefined> {
    const final: JobRecord = {
      ...record,
      status: 'cancelled',
      error,
      finishedAt: new Date().toISOString(),
    };
    const stored = await this.#store.commit(final, {
      type: 'done',
      data: this.#format.jobData(final),
    });
    if (!stored) return undefined;
    this.#log.info({ jobId: record.id, errorCode: error.code }, 'queued job ended before it ran');
    return final;
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
    const error: JobError = { code: 'CANCELLED', message: 'Cancelled by the client' };
    let ended: JobRecord | undefined;
    if (this.#queued.delete(id)) {
      this.#slots.release(id);
      ended = await this.#endQueued(record, error);
    } else {
      const run = this.#runs.get(id);
      ended = run
        ? await run.end('cancelled', error)
        : await this.#endElsewhere(record, 'cancelled', error);
    }
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
      data: this.#format.jobData(final),
    });
    if (!stored) return undefined;
    await this.#store.announceEnded?.(record.id).catch((err: unknown) => {
      // The runner still learns it at its next write or lease renewal.
      this.#log.warn({ err, jobId: record.id }, 'could not relay the end of a job to its runner');
    });
    return final;
  }

  /**
   * Answers one open input request of a job (POST /v1/jobs/{id}/input). The content is checked
   * against the request's form here, before anything goes upstream (INVALID_INPUT); the answer
   * is taken once across every replica (INPUT_NOT_PENDING for any later one) and handed to the
   * replica that runs the job. Resolves with the job as it stands after the answer.
   */
  async respond(owner: string | null, id: string, answer: InputAnswerRequest): Promise<JobRecord> {
    const record = await this.get(owner, id);
    const pending = isFinal(record.status)
      ? undefined
      : (record.pendingInput ?? []).find((p) => p.requestId === answer.requestId);
    if (!pending) {
      throw new GatewayError(
        'INPUT_NOT_PENDING',
        `Job '${id}' has no open input request '${answer.requestId}' (answered, expired or unknown)`,
      );
    }
    const checked = checkAnswer(pending, answer);
    const claimed = this.#store.claimInput
      ? await this.#store.claimInput(id, answer.requestId)
      : true;
    const run = this.#runs.get(id);
    const delivered = claimed && (run ? run.answerInput(answer.requestId, checked) : true);
    if (!delivered) {
      throw new GatewayError(
        'INPUT_NOT_PENDING',
        `Input request '${answer.requestId}' of job '${id}' was already answered or expired`,
      );
    }
    if (run) return run.record;
    await this.#store.relayInput?.(id, answer.requestId, checked);
    return withoutRequest(record, answer.requestId);
  }

  async remove(owner: string | null, id: string): Promise<void> {
    await this.get(owner, id);
    const outcome = await this.#store.delete(id);
    if (outcome === 'running') {
      throw new GatewayError('JOB_RUNNING', `Job '${id}' is still running; cancel it first`);
    }
    if (outcome === 'missing') throw new GatewayError('JOB_NOT_FOUND', `No job with id '${id}'`);
  }

  /**
   * Refuses new jobs and ends every queued and running one as `cancelled` with GATEWAY_SHUTDOWN.
   * Queued ones go first, so that no place freed by a running one starts them. Resolves with
   * the ids of the jobs it ended.
   */
  async shutdown(): Promise<string[]> {
    this.#closing = true;
    const queued = this.#slots
      .close()
      .map((id) => this.#queued.get(id))
      .filter((job): job is QueuedJob => job !== undefined);
    for (const job of queued) this.#queued.delete(job.record.id);
    await Promise.all(
      queued.map((job) =>
        this.#endQueued(job.record, SHUTDOWN_QUEUED).catch((err: unknown) => {
          this.#log.error({ err, jobId: job.record.id }, 'could not end a queued job at shutdown');
        }),
      ),
    );
    const runs = [...this.#runs.values()];
    await Promise.all(runs.map((run) => run.end('cancelled', SHUTDOWN_ERROR)));
    await Promise.all(this.#running);
    return [...queued.map((job) => job.record.id), ...runs.map((run) => run.id)];
  }
}
