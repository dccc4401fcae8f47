import { GatewayAbortError, GatewayClientError } from './errors.js';
import { describe, discard, errorFromResponse, isRetryable } from './http.js';
import { readSseBody } from './read-sse-body.js';
import { SseParser, type SseMessage } from './sse-parser.js';
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

/** How the client reconnects a job's event stream. */
export interface ReconnectOptions {
  /**
   * Consecutive failed attempts (network errors, 5xx answers, connections dropped before any
   * new event) after which the stream gives up with the last error. Default 10.
   */
  maxRetries?: number;
  /** The delay before reconnecting until the gateway's `retry:` hint arrives. Default 1000 ms. */
  initialDelayMs?: number;
  /** The longest delay between attempts; failures double the `retry:` delay up to it. Default 30 s. */
  maxDelayMs?: number;
  /**
   * A connection that receives nothing (the gateway writes a keep-alive at least every 15 s) for
   * this long is presumed dead, dropped and made again. Default 45 s.
   */
  idleTimeoutMs?: number;
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  maxRetries: 10,
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  idleTimeoutMs: 45_000,
};

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

/** How many event ids are remembered to drop events replayed after an unplaceable id. */
const SEEN_IDS = 10_000;

const isFinal = (status: JobStatus): boolean =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled';

/**
 * Follows one job's event stream with `fetch` (so the Authorization header can be sent, which
 * EventSource cannot): reconnects with `Last-Event-ID` after a dropped connection or an end
 * without `done` (the gateway ends streams by age), after the `retry:` delay, doubling it while
 * attempts keep failing; stops on `done` and on `204`.
 */
export class JobStream implements Watch {
  readonly jobId: string;
  readonly done: Promise<Job>;
  readonly #transport: StreamTransport;
  readonly #handlers: WatchHandlers;
  readonly #signal: AbortSignal | undefined;
  readonly #seen = new Set<string>();
  #lastEventId: string | undefined;
  #retryMs: number;
  #status: JobStatus | undefined;
  #final: Job | undefined;
  #closed = false;
  #closeReason: unknown;
  #settled = false;
  /** Whether the current connection delivered a new event (then a drop is a first failure). */
  #progressed = false;
  #attempt: AbortController | undefined;
  #wake: (() => void) | undefined;

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
    if (this.#closed || this.#settled) return;
    this.#closed = true;
    this.#attempt?.abort();
    this.#wake?.();
  }

  readonly #onAbort = (): void => {
    this.#closeReason = this.#signal?.reason;
    this.close();
  };

  #throwIfClosed(): void {
    if (this.#closed) {
      throw new GatewayAbortError('CLOSED', `Stopped following job ${this.jobId}`, {
        cause: this.#closeReason,
      });
    }
  }

  async #run(): Promise<Job> {
    const { maxRetries, maxDelayMs } = this.#transport.reconnect;
    let failures = 0;
    for (;;) {
      this.#throwIfClosed();
      const attempt = new AbortController();
      this.#attempt = attempt;
      this.#progressed = false;
      let delay: number;
      try {
        const final = await this.#connect(attempt);
        if (final) return final;
        // A clean end without `done` (the gateway rotates streams by age): come back after the
        // `retry:` delay it asked for.
        failures = 0;
        delay = this.#retryMs;
      } catch (error) {
        this.#throwIfClosed();
        const failure =
          error instanceof GatewayClientError
            ? error
            : new GatewayClientError('NETWORK_ERROR', describe(error), { cause: error });
        if (!isRetryable(failure)) throw failure;
        failures = this.#progressed ? 1 : failures + 1;
        if (failures > maxRetries) throw failure;
        delay = Math.min(maxDelayMs, this.#retryMs * 2 ** (failures - 1));
      } finally {
        attempt.abort();
        this.#attempt = undefined;
      }
      await this.#sleep(delay);
    }
  }

  /** One connection: the final job if `done` arrived, undefined if the stream ended without it. */
  async #connect(attempt: AbortController): Promise<Job | undefined> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      ...this.#transport.headers,
    };
    if (this.#lastEventId) headers['last-event-id'] = this.#lastEventId;
    let response: Response;
    try {
      response = await this.#transport.fetch(this.#transport.url, {
        headers,
        signal: attempt.signal,
      });
    } catch (error) {
      throw new GatewayClientError(
        'NETWORK_ERROR',
        `Could not open the event stream of job ${this.jobId}: ${describe(error)}`,
        { cause: error },
      );
    }
    if (response.status === 204) {
      // The gateway has nothing after our position: we had seen `done` (a resumed watch).
      discard(response);
      return this.#finishedEarlier();
    }
    if (!response.ok) throw await errorFromResponse(response, `The event stream of ${this.jobId}`);
    const type = response.headers.get('content-type') ?? '';
    if (!/^text\/event-stream/i.test(type) || !response.body) {
      discard(response);
      throw new GatewayClientError(
        'INVALID_RESPONSE',
        `The event stream of job ${this.jobId} answered ${type || 'no content type'}`,
        { status: response.status },
      );
    }
    return this.#read(response.body, attempt);
  }

  async #read(
    body: ReadableStream<Uint8Array>,
    attempt: AbortController,
  ): Promise<Job | undefined> {
    const parser = new SseParser({
      onMessage: (message) => this.#dispatch(message),
      onRetry: (ms) => (this.#retryMs = ms),
    });
    await readSseBody(body, parser, {
      attempt,
      idleTimeoutMs: this.#transport.reconnect.idleTimeoutMs,
      interrupted: `The event stream of job ${this.jobId} was interrupted`,
      shouldStop: () => {
        if (this.#final) return true;
        this.#throwIfClosed();
        return false;
      },
    });
    return this.#final;
  }

  #dispatch(message: SseMessage): void {
    if (this.#final || this.#closed) return;
    const { id } = message;
    if (id) {
      // The gateway replays from its earliest retained event when it cannot place our id:
      // never deliver an event twice.
      if (this.#seen.has(id)) return;
      this.#seen.add(id);
      if (this.#seen.size > SEEN_IDS) this.#seen.delete(this.#seen.values().next().value!);
    }
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
    if (!handler) return;
    try {
      handler(value);
    } catch (error) {
      try {
        this.#transport.onHandlerError(error);
      } catch {
        // Nowhere left to report it.
      }
    }
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

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wake = wake;
    });
  }
}
