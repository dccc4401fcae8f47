import { callHandler, GatewayAbortError, GatewayClientError } from './errors.js';
import {
  backoff,
  readReconnecting,
  SeenIds,
  type ReconnectOptions,
} from './reconnecting-reader.js';
import type { SseMessage } from './sse-parser.js';
import type {
  EventHandler,
  FetchLike,
  Job,
  JobStatus,
  LogHandler,
  LogMessage,
  Progress,
  ProgressHandler,
  StatusHandler,
} from './types.js';

/** Callbacks for a job's events. Each sees every event once, in the order the gateway sent it. */
export interface WatchHandlers {
  /** Each progress notification: `(progress, total, message, detail)`. */
  progressHandler?: ProgressHandler | undefined;
  /** Each log notification. */
  logHandler?: LogHandler | undefined;
  /** The job each time its status changes: `running`, then the final status. */
  statusHandler?: StatusHandler | undefined;
  /** Every event (`status`, `progress`, `log`, `done`) with its id, for callers that want all. */
  eventHandler?: EventHandler | undefined;
}

export interface WatchOptions extends WatchHandlers {
  /**
   * Deliver only the events after this id, e.g. `watch.lastEventId` saved before a page reload.
   * With the id of the job's `done`, `done` resolves with the job as the gateway now has it.
   */
  lastEventId?: string | undefined;
  /** Aborting it closes the watch, as `close()` does (the job itself goes on). */
  signal?: AbortSignal | undefined;
}

/** A job being followed. */
export interface Watch {
  readonly jobId: string;
  /**
   * Resolves with the final job whatever its status (`succeeded`, `failed` or `cancelled`), once
   * its `done` event arrived. Rejects with a `GatewayClientError` when the stream cannot be
   * followed (`JOB_NOT_FOUND`, `UNAUTHORIZED`, `NETWORK_ERROR` after the reconnection attempts
   * are used up) or with a `GatewayAbortError` (`CLOSED`) after `close()`. Settles exactly once.
   */
  readonly done: Promise<Job>;
  /** The id of the last event delivered; keep it to resume after a reload. */
  readonly lastEventId: string | undefined;
  /** Stops following the job (it goes on running) and closes the connection. Idempotent. */
  close(): void;
}

/** What a JobStream needs from its client. */
export interface StreamTransport {
  fetch: FetchLike;
  /** The stream's URL, with a stream token when there is no API key. */
  url: string;
  /** Authorization and any extra headers. */
  headers: Record<string, string>;
  /** Reads the job (after a `204`: the client had already seen `done`). */
  getJob(): Promise<Job>;
  reconnect: Required<ReconnectOptions>;
  /** Called with whatever a handler throws; a throwing handler never stops the stream. */
  onHandlerError(error: unknown): void;
}

const isFinal = (status: JobStatus): boolean =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled';

/**
 * Follows one job's event stream (`GET /v1/jobs/{id}/events`) with the reconnecting reader, and
 * turns its events into the handlers' calls: the reader resumes after a dropped connection or an
 * end without `done` (the gateway ends streams by age); this stops on `done` and on `204`, and
 * gives up after `maxRetries` failed attempts in a row.
 */
export class JobStream implements Watch {
  readonly jobId: string;
  readonly done: Promise<Job>;
  readonly #transport: StreamTransport;
  readonly #handlers: WatchHandlers;
  readonly #signal: AbortSignal | undefined;
  readonly #seen = new SeenIds();
  /** Aborted by `close()`: stops the reader. */
  readonly #stop = new AbortController();
  #lastEventId: string | undefined;
  #retryMs: number;
  #status: JobStatus | undefined;
  #final: Job | undefined;
  #closeReason: unknown;
  #settled = false;
  /** Whether the current connection delivered a new event (then a drop is a first failure). */
  #progressed = false;

  constructor(
    jobId: string,
    transport: StreamTransport,
    options: WatchOptions & { knownStatus?: JobStatus | undefined },
  ) {
    this.jobId = jobId;
    this.#transport = transport;
    this.#handlers = options;
    this.#signal = options.signal;
    this.#lastEventId = options.lastEventId || undefined;
    this.#retryMs = transport.reconnect.initialDelayMs;
    this.#status = options.knownStatus;
    if (this.#signal?.aborted) this.close();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.done = this.#run().finally(() => {
      this.#settled = true;
      this.#signal?.removeEventListener('abort', this.#onAbort);
    });
    // A caller that closes the watch need not also handle `done`.
    this.done.catch(() => {});
  }

  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  close(): void {
    if (this.#settled) return;
    this.#stop.abort();
  }

  readonly #onAbort = (): void => {
    this.#closeReason = this.#signal?.reason;
    this.close();
  };

  #throwIfClosed(): void {
    if (this.#stop.signal.aborted) throw this.#closedError();
  }

  #closedError(): GatewayAbortError {
    return new GatewayAbortError('CLOSED', `Stopped following job ${this.jobId}`, {
      cause: this.#closeReason,
    });
  }

  async #run(): Promise<Job> {
    const { maxRetries, maxDelayMs, idleTimeoutMs } = this.#transport.reconnect;
    let failures = 0;
    const final = await readReconnecting<Job>({
      fetch: this.#transport.fetch,
      url: this.#transport.url,
      headers: this.#transport.headers,
      name: `the event stream of job ${this.jobId}`,
      idleTimeoutMs,
      signal: this.#stop.signal,
      lastEventId: () => this.#lastEventId,
      onMessage: (message) => this.#dispatch(message),
      onRetry: (ms) => (this.#retryMs = ms),
      result: () => this.#final,
      // The gateway has nothing after our position: we had seen `done` (a resumed watch).
      onNoContent: () => this.#finishedEarlier(),
      ended: () => {
        failures = 0;
        this.#progressed = false;
        return this.#retryMs;
      },
      failed: (error) => {
        failures = this.#progressed ? 1 : failures + 1;
        this.#progressed = false;
        if (failures > maxRetries) throw error;
        return backoff(this.#retryMs, failures, maxDelayMs);
      },
    });
    // Without a final job, the reader stopped because the watch was closed.
    if (final === undefined) throw this.#closedError();
    return final;
  }

  #dispatch(message: SseMessage): void {
    if (this.#final || this.#stop.signal.aborted) return;
    const { id } = message;
    // Events replayed after an id the gateway could not place: never deliver one twice.
    if (id && !this.#seen.add(id)) return;
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof data !== 'object' || data === null) return;
    if (id !== undefined) {
      this.#lastEventId = id || undefined;
      this.#progressed = true;
    }
    const handlers = this.#handlers;
    switch (message.event) {
      case 'status': {
        const job = data as Job;
        if (id === undefined) {
          // The opening snapshot: not an event. It only tells a status we had not seen yet; a
          // final one waits for `done`, which follows it with the events before it.
          if (!isFinal(job.status)) this.#statusChanged(job);
          return;
        }
        this.#call(handlers.eventHandler, { event: 'status', id, data: job });
        this.#statusChanged(job);
        return;
      }
      case 'progress': {
        if (id === undefined) return;
        const progress = data as Progress;
        this.#call(handlers.eventHandler, { event: 'progress', id, data: progress });
        const handler = handlers.progressHandler;
        if (handler) {
          this.#call(
            () =>
              handler(
                progress.progress,
                progress.total ?? undefined,
                progress.message ?? undefined,
                progress,
              ),
            undefined,
          );
        }
        return;
      }
      case 'log': {
        if (id === undefined) return;
        const log = data as LogMessage;
        this.#call(handlers.eventHandler, { event: 'log', id, data: log });
        this.#call(handlers.logHandler, log);
        return;
      }
      case 'done': {
        const job = data as Job;
        if (id === undefined || !isFinal(job.status)) return;
        this.#final = job;
        this.#call(handlers.eventHandler, { event: 'done', id, data: job });
        this.#statusChanged(job);
        return;
      }
      default:
        // Events a later gateway may add are not this client's business.
        return;
    }
  }

  #statusChanged(job: Job): void {
    if (job.status === this.#status) return;
    this.#status = job.status;
    this.#call(this.#handlers.statusHandler, job);
  }

  #call<T>(handler: ((value: T) => void) | undefined, value: T): void {
    if (handler) callHandler(() => handler(value), this.#transport.onHandlerError);
  }

  /** After a `204`: the job as the gateway has it now, which must be final. */
  async #finishedEarlier(): Promise<Job> {
    const job = await this.#transport.getJob();
    this.#throwIfClosed();
    if (!isFinal(job.status)) {
      throw new GatewayClientError(
        'INVALID_RESPONSE',
        `The event stream of job ${this.jobId} answered 204 but the job is ${job.status}`,
        { job },
      );
    }
    this.#final = job;
    this.#statusChanged(job);
    return job;
  }
}
