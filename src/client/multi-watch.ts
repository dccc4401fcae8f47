import type { GatewayClient } from './client.js';
import { callHandler, GatewayClientError, isGatewayClientError } from './errors.js';
import {
  openEventSource,
  openFetch,
  type EventsConnection,
  type EventsConnectionHandlers,
  type EventSourceConstructor,
  type EventType,
} from './events-connection.js';
import { describe, errorFromResponse } from './http.js';
import {
  backoff,
  reconnectSettings,
  SeenIds,
  type ReconnectOptions,
} from './reconnecting-reader.js';
import type { FetchLike, Job, LogMessage, Progress } from './types.js';

/** Most jobs one `GET /v1/events` connection follows (the gateway's limit). */
export const MAX_JOBS_PER_STREAM = 50;

/**
 * One event of a followed job. `snapshot` is the id-less `status` that opens every connection
 * (the job as it is now; not part of its log). Every other event comes once, in order, with `id`,
 * the job's own event id (its part of the stream's cursor).
 */
export type MultiWatchEvent =
  | { jobId: string; event: 'snapshot'; data: Job }
  | { jobId: string; event: 'status'; id: string; data: Job }
  | { jobId: string; event: 'progress'; id: string; data: Progress }
  | { jobId: string; event: 'log'; id: string; data: LogMessage }
  | { jobId: string; event: 'done'; id: string; data: Job };

/**
 * `idle`: nothing to follow (no jobs, or all of them ended); `connecting`: opening the first
 * connection; `open`: the stream is open; `reconnecting`: it dropped and is being made again
 * (nothing is lost: it resumes where it stopped); `offline`: several attempts in a row failed,
 * and it keeps trying.
 */
export type StreamState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline';

export interface StreamStateInfo {
  /** How the stream is read: a browser `EventSource`, or `fetch` (to send `Authorization`). */
  transport: 'eventsource' | 'fetch' | undefined;
  /** How many jobs the current connection follows. */
  jobs: number;
  /** Consecutive failed attempts. */
  failures: number;
  /** What went wrong last, when the state is `reconnecting` or `offline`. */
  error?: unknown;
}

export interface MultiJobWatchOptions {
  /** The client for the gateway: its `baseUrl`, and `getJob` to tell a job that is gone. */
  client: GatewayClient;
  /**
   * The API key the client uses, if any. A stream then needs a token from
   * `POST /v1/stream-tokens` for `EventSource`, or the `fetch` transport sends the key itself.
   */
  apiKey?: string | undefined;
  /**
   * `eventsource` (the browser's own, which resumes with `Last-Event-ID` by itself), `fetch` (with
   * the `Authorization` header) or `auto` (default): `EventSource` when there is one and either
   * no API key or a stream token, else `fetch`.
   */
  transport?: 'auto' | 'eventsource' | 'fetch';
  /** Every event of every followed job. */
  onEvent?: ((event: MultiWatchEvent) => void) | undefined;
  /** Each change of the connection's state. */
  onState?: ((state: StreamState, info: StreamStateInfo) => void) | undefined;
  /** A followed job the gateway no longer has (expired, deleted): it is no longer followed. */
  onGone?: ((jobId: string, error: GatewayClientError) => void) | undefined;
  /** What a handler throws. Default: `console.error`. */
  onHandlerError?: ((error: unknown) => void) | undefined;
  /** The `fetch` to use; the global one by default. */
  fetch?: FetchLike | undefined;
  /** The `EventSource` to use; the global one by default. */
  EventSource?: EventSourceConstructor | undefined;
  /** Delays between attempts (`maxRetries` is not used: a watch keeps trying until closed). */
  reconnect?: ReconnectOptions | undefined;
  /** Failed attempts in a row after which the state is `offline`. Default 3. */
  offlineAfter?: number | undefined;
  /** How long changes of the job set are collected before the stream is reopened. Default 20 ms. */
  settleMs?: number | undefined;
}

/** The cursor of `/v1/events` is each job's last event id, in the order of `job`, joined by `~`. */
const CURSOR_SEPARATOR = '~';

/**
 * Follows a changing set of jobs over one `GET /v1/events` connection (a browser allows six per
 * origin, so twenty jobs must not take twenty). Give it the jobs to follow with {@link watch};
 * when the set gains a job the connection is made again for the jobs still running, each resumed
 * from its own position (the cursor's documented form lets positions carry over), so no event
 * is lost or repeated. Jobs that ended need no connection: when all have ended the watch is idle.
 *
 * In a browser without an API key it uses `EventSource`, whose own `Last-Event-ID` reconnection
 * resumes the stream after a drop. With an API key it asks `POST /v1/stream-tokens` for a token
 * (the URL then carries the token, never the key); where the gateway has no such route, it reads
 * the stream with `fetch` and the `Authorization` header, and resumes the same way.
 */
export class MultiJobWatch {
  readonly #client: GatewayClient;
  readonly #options: MultiJobWatchOptions;
  readonly #fetch: FetchLike;
  readonly #EventSource: EventSourceConstructor | undefined;
  readonly #reconnect: Required<ReconnectOptions>;
  #wanted: string[] = [];
  readonly #ended = new Set<string>();
  /** Each job's last event id: its part of the cursor, carried into the next connection. */
  readonly #positions = new Map<string, string>();
  /** Each job's delivered ids, to drop events replayed after a position the gateway lost. */
  readonly #seen = new Map<string, SeenIds>();
  #connection: EventsConnection | undefined;
  #state: StreamState = 'idle';
  #failures = 0;
  #lastError: unknown;
  #retryMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every (re)open and by close(): callbacks of older attempts are ignored. */
  #generation = 0;
  /** `false` once the gateway answered that it has no `POST /v1/stream-tokens`. */
  #tokensAvailable = true;
  #closed = false;

  constructor(options: MultiJobWatchOptions) {
    this.#client = options.client;
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#EventSource =
      options.EventSource ??
      (globalThis as { EventSource?: EventSourceConstructor }).EventSource ??
      undefined;
    this.#reconnect = reconnectSettings(options.reconnect);
    this.#retryMs = this.#reconnect.initialDelayMs;
  }

  get state(): StreamState {
    return this.#state;
  }

  /** The jobs the current connection follows, in the order of its `job` parameters. */
  get streaming(): readonly string[] {
    return this.#connection?.jobs ?? [];
  }

  /** How the current connection is read. */
  get transport(): 'eventsource' | 'fetch' | undefined {
    return this.#connection?.transport;
  }

  /**
   * Follows exactly these jobs (at most {@link MAX_JOBS_PER_STREAM}; jobs already ended are not
   * followed again). The connection changes only when a job is added that it does not carry.
   */
  watch(jobIds: Iterable<string>): void {
    if (this.#closed) return;
    const ids = [...new Set(jobIds)];
    if (ids.length > MAX_JOBS_PER_STREAM) {
      throw new RangeError(`One stream follows at most ${MAX_JOBS_PER_STREAM} jobs`);
    }
    this.#wanted = ids;
    this.#schedule(this.#options.settleMs ?? 20);
  }

  /** Stops following every job and closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#connection?.close();
    this.#connection = undefined;
    this.#setState('idle');
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#reconcile(), delayMs);
  }

  /** Opens, keeps or closes the connection so that it carries every wanted job still running. */
  async #reconcile(): Promise<void> {
    if (this.#closed) return;
    const pending = this.#wanted.filter((id) => !this.#ended.has(id));
    const current = this.#connection;
    // An ended job no longer wanted needs no position: only running jobs can come back.
    for (const id of this.#seen.keys()) {
      if (this.#ended.has(id) && !this.#wanted.includes(id) && !current?.jobs.includes(id)) {
        this.#seen.delete(id);
        this.#positions.delete(id);
      }
    }
    if (pending.length === 0) {
      this.#drop();
      this.#failures = 0;
      this.#setState('idle');
      return;
    }
    if (current && pending.every((id) => current.jobs.includes(id))) return;
    this.#drop();
    await this.#open(pending);
  }

  #drop(): void {
    this.#generation++;
    this.#connection?.close();
    this.#connection = undefined;
  }

  async #open(jobs: string[]): Promise<void> {
    const generation = ++this.#generation;
    this.#setState(this.#failures === 0 ? 'connecting' : this.#retryingState());
    const { apiKey } = this.#options;
    const wanted = this.#options.transport ?? 'auto';
    let transport: 'eventsource' | 'fetch' =
      wanted === 'fetch' || !this.#EventSource ? 'fetch' : 'eventsource';
    let token: string | undefined;
    if (transport === 'eventsource' && apiKey) {
      try {
        token = await this.#streamToken(jobs, apiKey);
      } catch (error) {
        if (generation !== this.#generation) return;
        this.#failed(error);
        return;
      }
      if (generation !== this.#generation) return;
      if (token === undefined) {
        if (wanted === 'eventsource') {
          this.#failed(
            new GatewayClientError('ROUTE_NOT_FOUND', 'The gateway issues no stream tokens'),
          );
          return;
        }
        transport = 'fetch';
      }
    }
    const params = new URLSearchParams();
    for (const id of jobs) params.append('job', id);
    const cursor = jobs.map((id) => this.#positions.get(id) ?? '');
    // A new set starts each job where the last connection left it.
    if (cursor.some(Boolean)) params.set('lastEventId', cursor.join(CURSOR_SEPARATOR));
    if (token) params.set('token', token);
    const url = `${this.#client.baseUrl}/v1/events?${params}`;
    const on = this.#handlersOf(jobs, generation);
    this.#connection =
      transport === 'eventsource'
        ? openEventSource(this.#EventSource!, url, jobs, on)
        : openFetch(
            this.#fetch,
            url,
            jobs,
            { apiKey, idleTimeoutMs: this.#reconnect.idleTimeoutMs },
            on,
          );
  }

  /** What the connection for `jobs` reports, applied while it is the watch's connection. */
  #handlersOf(jobs: readonly string[], generation: number): EventsConnectionHandlers {
    const current = () => generation === this.#generation;
    return {
      opened: () => {
        if (current()) this.#opened();
      },
      message: (type, data, cursor) => {
        if (current()) this.#message(jobs, type, data, cursor);
      },
      retrying: (error) => {
        if (!current()) return 0;
        this.#failures++;
        if (error) this.#lastError = error;
        this.#setState(this.#retryingState());
        return error ? this.#backoff() : this.#retryMs;
      },
      retry: (ms) => (this.#retryMs = ms),
      failed: (error) => {
        if (!current()) return;
        this.#connection = undefined;
        this.#failed(error);
      },
      finished: () => {
        if (!current()) return;
        for (const id of jobs) this.#ended.add(id);
        this.#connection = undefined;
        this.#schedule(0);
      },
    };
  }

  /** A token for `jobs` from `POST /v1/stream-tokens`; `undefined` where there is no such route. */
  async #streamToken(jobs: string[], apiKey: string): Promise<string | undefined> {
    if (!this.#tokensAvailable) return undefined;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#client.baseUrl}/v1/stream-tokens`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          authorization: `Bearer ${apiKey}`,
        },
        body: JSON.stringify({ jobs }),
      });
    } catch (error) {
      throw new GatewayClientError('NETWORK_ERROR', `POST /v1/stream-tokens: ${describe(error)}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      const error = await errorFromResponse(response, 'POST /v1/stream-tokens');
      // A gateway without the route: read the stream with fetch instead, from now on.
      if (error.code === 'ROUTE_NOT_FOUND' || error.status === 405) {
        this.#tokensAvailable = false;
        return undefined;
      }
      throw error;
    }
    const body = (await response.json().catch(() => null)) as { token?: unknown } | null;
    if (typeof body?.token !== 'string' || body.token === '') {
      this.#tokensAvailable = false;
      return undefined;
    }
    return body.token;
  }

  /**
   * One frame of the connection for `jobs`. `cursor` is the frame's id as the transport reports
   * it: absent or unchanged for the opening snapshots (EventSource repeats the last id for an
   * id-less frame).
   */
  #message(
    jobs: readonly string[],
    type: EventType,
    raw: string,
    cursor: string | undefined,
  ): void {
    let data: { jobId?: unknown };
    try {
      data = JSON.parse(raw) as { jobId?: unknown };
    } catch {
      return;
    }
    const jobId = typeof data?.jobId === 'string' ? data.jobId : undefined;
    const index = jobId === undefined ? -1 : jobs.indexOf(jobId);
    if (jobId === undefined || index === -1) return;
    const id = cursor?.split(CURSOR_SEPARATOR)[index] || undefined;
    let seen = this.#seen.get(jobId);
    if (id === undefined || seen?.has(id)) {
      // No new id for this job: the opening snapshot, or an event replayed after a lost position.
      if (type === 'status') this.#emit({ jobId, event: 'snapshot', data: data as Job });
      return;
    }
    if (!seen) this.#seen.set(jobId, (seen = new SeenIds()));
    seen.add(id);
    this.#positions.set(jobId, id);
    this.#emit({ jobId, event: type, id, data } as MultiWatchEvent);
    if (type === 'done') {
      this.#ended.add(jobId);
      // The gateway ends the stream after the last `done`; close it first (no 204 round trip).
      if (jobs.every((job) => this.#ended.has(job))) {
        this.#drop();
        this.#schedule(0);
      }
    }
  }

  #opened(): void {
    this.#failures = 0;
    this.#lastError = undefined;
    this.#setState('open');
  }

  /**
   * The connection failed for good (EventSource gave up, or a non-retryable answer): find out
   * which jobs are gone, then open again after a delay, without them.
   */
  #failed(error: unknown): void {
    this.#failures++;
    this.#lastError = error;
    this.#setState(this.#retryingState());
    const generation = ++this.#generation;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.#forgetGoneJobs(generation).then(() => {
        if (generation !== this.#generation || this.#closed) return;
        this.#connection = undefined;
        void this.#reconcile();
      });
    }, this.#backoff());
  }

  async #forgetGoneJobs(generation: number): Promise<void> {
    for (const id of this.#wanted.filter((job) => !this.#ended.has(job))) {
      try {
        await this.#client.getJob(id);
      } catch (error) {
        if (isGatewayClientError(error, 'JOB_NOT_FOUND')) {
          this.#wanted = this.#wanted.filter((job) => job !== id);
          this.#call(() => this.#options.onGone?.(id, error));
          continue;
        }
        this.#lastError = error;
        // The gateway cannot be asked now: no point asking about the other jobs.
        return;
      }
      if (generation !== this.#generation) return;
    }
  }

  #backoff(): number {
    return backoff(this.#retryMs, this.#failures, this.#reconnect.maxDelayMs);
  }

  #retryingState(): StreamState {
    return this.#failures >= (this.#options.offlineAfter ?? 3) ? 'offline' : 'reconnecting';
  }

  #setState(state: StreamState): void {
    const changed = state !== this.#state;
    this.#state = state;
    if (!changed && state !== 'offline') return;
    const info: StreamStateInfo = {
      transport: this.#connection?.transport,
      jobs: this.#connection?.jobs.length ?? 0,
      failures: this.#failures,
    };
    if (state === 'reconnecting' || state === 'offline') info.error = this.#lastError;
    this.#call(() => this.#options.onState?.(state, info));
  }

  #emit(event: MultiWatchEvent): void {
    this.#call(() => this.#options.onEvent?.(event));
  }

  #call(run: () => void): void {
    callHandler(
      run,
      this.#options.onHandlerError ?? ((e) => console.error('MultiJobWatch: a handler threw', e)),
    );
  }
}
