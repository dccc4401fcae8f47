import { GatewayAbortError, GatewayClientError } from './errors.js';
import { abortError, describe, errorFromResponse } from './http.js';
import { JobStream, type Watch, type WatchHandlers, type WatchOptions } from './job-stream.js';
import { reconnectSettings, type ReconnectOptions } from './reconnecting-reader.js';
import type {
  CallToolResult,
  FetchLike,
  Job,
  JobList,
  JobOptions,
  ListJobsQuery,
  LogHandler,
  ProgressHandler,
  ServerList,
  ServerStatus,
  StartJobRequest,
  StatusHandler,
  Tool,
  ToolArguments,
  ToolList,
} from './types.js';

export interface GatewayClientOptions {
  /** An API key secret, sent as `Authorization: Bearer <apiKey>` (when the gateway has API_KEYS). */
  apiKey?: string | undefined;
  /** The progress handler of every call that does not pass its own. */
  progressHandler?: ProgressHandler | undefined;
  /** The log handler of every call that does not pass its own. */
  logHandler?: LogHandler | undefined;
  /** The status handler of every call that does not pass its own. */
  statusHandler?: StatusHandler | undefined;
  /** The `fetch` to use; the global one by default. */
  fetch?: FetchLike | undefined;
  /** Extra headers for every request. */
  headers?: Record<string, string> | undefined;
  /** How event streams reconnect. */
  reconnect?: ReconnectOptions | undefined;
  /**
   * Receives what a handler throws (a throwing handler never breaks a call). Default:
   * `console.error`.
   */
  onHandlerError?: ((error: unknown) => void) | undefined;
}

/** Options of one request. */
export interface RequestOptions {
  /** Aborts the request; it then rejects with a `GatewayAbortError`. */
  signal?: AbortSignal | undefined;
}

export interface StartJobOptions extends JobOptions, RequestOptions {
  /** Makes retries safe: the same key and body give the same job (see openapi.yaml). */
  idempotencyKey?: string | undefined;
}

export interface CallToolOptions extends JobOptions, WatchHandlers {
  /**
   * Aborting it cancels the job on the gateway (`POST /v1/jobs/{id}/cancel`); the call then
   * rejects with a `GatewayAbortError` (`name` `'AbortError'`, `code` `'CANCELLED'`).
   */
  signal?: AbortSignal | undefined;
  /** Makes the `POST /v1/jobs` safe to retry (see openapi.yaml). */
  idempotencyKey?: string | undefined;
  /** Called once with the job as started (to keep its id, say, and reattach with `watch`). */
  onStart?: ((job: Job) => void) | undefined;
}

/** How long an aborted call waits for the gateway to confirm the cancellation. */
const CANCEL_WAIT_MS = 5000;

/**
 * A client for mcp-progress-gateway, for browsers and Node 20+, with no dependencies: it uses
 * only `fetch`, `AbortController`, `TextDecoder` and `ReadableStream`.
 *
 * ```ts
 * const client = new GatewayClient('http://127.0.0.1:8080', {
 *   progressHandler: (progress, total, message) => console.log(progress, total, message),
 * });
 * const result = await client.callTool('demo', 'countdown', { seconds: 3 });
 * ```
 */
export class GatewayClient {
  /** The gateway's base URL, without a trailing slash (`''` for the page's own origin). */
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #headers: Record<string, string>;
  readonly #hasApiKey: boolean;
  readonly #handlers: WatchHandlers;
  readonly #reconnect: Required<ReconnectOptions>;
  readonly #onHandlerError: (error: unknown) => void;

  constructor(baseUrl: string | URL, options: GatewayClientOptions = {}) {
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    // Called unbound: browsers reject `fetch` called as a method of another object.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#headers = { ...options.headers };
    this.#hasApiKey = Boolean(options.apiKey);
    if (options.apiKey) this.#headers.authorization = `Bearer ${options.apiKey}`;
    this.#handlers = {
      progressHandler: options.progressHandler,
      logHandler: options.logHandler,
      statusHandler: options.statusHandler,
    };
    this.#reconnect = reconnectSettings(options.reconnect);
    this.#onHandlerError =
      options.onHandlerError ?? ((error) => console.error('GatewayClient: a handler threw', error));
  }

  /**
   * Calls a tool and follows the job to its end: resolves with the tool's result, or rejects
   * with a `GatewayClientError` whose `code` is the gateway's (`TOOL_ERROR` with `result` for an
   * `isError` result, the job's `error.code` for a failed or cancelled job, the problem's `code`
   * for an HTTP error). Progress goes to `options.progressHandler`, else the client's.
   */
  callTool(
    server: string,
    tool: string,
    args: ToolArguments = {},
    options: CallToolOptions = {},
  ): Promise<CallToolResult> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const handlers: WatchHandlers = {
      progressHandler: options.progressHandler ?? this.#handlers.progressHandler,
      logHandler: options.logHandler ?? this.#handlers.logHandler,
      statusHandler: options.statusHandler ?? this.#handlers.statusHandler,
      eventHandler: options.eventHandler,
    };
    // Not aborted with the signal: a job the gateway created must be known to be cancelled.
    const started = this.startJob(server, tool, args, {
      timeoutMs: options.timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      idempotencyKey: options.idempotencyKey,
    });

    return new Promise<CallToolResult>((resolve, reject) => {
      let settled = false;
      let aborting = false;
      let watch: Watch | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onAbort = () => {
        if (settled || aborting) return;
        aborting = true;
        watch?.close();
        let cancelled: Job | undefined;
        const cancelling = started.then(
          (job) =>
            this.cancel(job.id).then(
              (job) => void (cancelled = job),
              () => {},
            ),
          () => {},
        );
        let timer: ReturnType<typeof setTimeout> | undefined;
        const waited = new Promise<void>((done) => (timer = setTimeout(done, CANCEL_WAIT_MS)));
        void Promise.race([cancelling, waited]).then(() => {
          clearTimeout(timer);
          settle(() =>
            reject(
              new GatewayAbortError('CANCELLED', 'The call was aborted', {
                cause: signal?.reason,
                job: cancelled,
              }),
            ),
          );
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      started.then(
        (job) => {
          if (settled || aborting) return;
          this.#call(options.onStart, job);
          this.#call(handlers.statusHandler, job);
          if (settled || aborting) return;
          watch = this.#follow(job, { ...handlers, knownStatus: job.status });
          watch.done.then(
            (final) => {
              if (aborting) return;
              settle(() => {
                try {
                  resolve(resultOf(final));
                } catch (error) {
                  reject(error);
                }
              });
            },
            (error: unknown) => {
              if (!aborting) settle(() => reject(error));
            },
          );
        },
        (error: unknown) => {
          if (!aborting) settle(() => reject(error));
        },
      );
    });
  }

  /** Starts a job (`POST /v1/jobs`) and returns it as created (`queued` or later). */
  async startJob(
    server: string,
    tool: string,
    args: ToolArguments = {},
    options: StartJobOptions = {},
  ): Promise<Job> {
    const body: StartJobRequest = { server, tool, arguments: args };
    const jobOptions: JobOptions = {};
    if (options.timeoutMs !== undefined) jobOptions.timeoutMs = options.timeoutMs;
    if (options.idleTimeoutMs !== undefined) jobOptions.idleTimeoutMs = options.idleTimeoutMs;
    if (Object.keys(jobOptions).length > 0) body.options = jobOptions;
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    return this.#request<Job>('POST', '/v1/jobs', { body, headers, signal: options.signal });
  }

  /**
   * Follows a job's events until its `done`. Pass the job itself (from `startJob` or `getJob`)
   * when you have it: without an API key, its `links.events` stream token authenticates the
   * stream. Handlers default to the client's.
   */
  watch(job: Job | string, options: WatchOptions = {}): Watch {
    return this.#follow(job, {
      progressHandler: this.#handlers.progressHandler,
      logHandler: this.#handlers.logHandler,
      statusHandler: this.#handlers.statusHandler,
      ...stripUndefined(options),
    });
  }

  /** `POST /v1/jobs/{id}/cancel`: the job, now `cancelled` (`JOB_FINISHED` if it had ended). */
  cancel(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.#request<Job>('POST', `/v1/jobs/${encodeURIComponent(jobId)}/cancel`, options);
  }

  /** `GET /v1/jobs/{id}`. */
  getJob(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.#request<Job>('GET', `/v1/jobs/${encodeURIComponent(jobId)}`, options);
  }

  /** `GET /v1/jobs`: one page of the caller's jobs, newest first. */
  listJobs(query: ListJobsQuery = {}, options: RequestOptions = {}): Promise<JobList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
    const search = params.toString();
    return this.#request<JobList>('GET', `/v1/jobs${search ? `?${search}` : ''}`, options);
  }

  /** `DELETE /v1/jobs/{id}`: forgets a finished job (`JOB_RUNNING` if it has not ended). */
  async deleteJob(jobId: string, options: RequestOptions = {}): Promise<void> {
    await this.#request<undefined>('DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`, options);
  }

  /** `GET /v1/servers`: the configured upstreams and their connection states. */
  async listServers(options: RequestOptions = {}): Promise<ServerStatus[]> {
    return (await this.#request<ServerList>('GET', '/v1/servers', options)).servers;
  }

  /** `GET /v1/servers/{name}/tools`: an upstream's tools. */
  async listTools(server: string, options: RequestOptions = {}): Promise<Tool[]> {
    const path = `/v1/servers/${encodeURIComponent(server)}/tools`;
    return (await this.#request<ToolList>('GET', path, options)).tools;
  }

  #follow(job: Job | string, options: WatchOptions & { knownStatus?: Job['status'] }): Watch {
    const jobId = typeof job === 'string' ? job : job.id;
    let url = `${this.baseUrl}/v1/jobs/${encodeURIComponent(jobId)}/events`;
    if (typeof job !== 'string' && !this.#hasApiKey) {
      // The stream token of `links.events` (API keys on, none given to this client).
      const query = job.links.events.indexOf('?');
      if (query !== -1) url += job.links.events.slice(query);
    }
    return new JobStream(
      jobId,
      {
        fetch: this.#fetch,
        url,
        headers: this.#headers,
        getJob: () => this.getJob(jobId),
        reconnect: this.#reconnect,
        onHandlerError: this.#onHandlerError,
      },
      { knownStatus: typeof job === 'string' ? undefined : job.status, ...options },
    );
  }

  #call<T>(handler: ((value: T) => void) | undefined, value: T): void {
    if (!handler) return;
    try {
      handler(value);
    } catch (error) {
      this.#onHandlerError(error);
    }
  }

  async #request<T>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.#headers,
      ...options.headers,
    };
    const init: RequestInit = { method, headers };
    if (options.signal) init.signal = options.signal;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const what = `${method} ${path}`;
    const failed = (error: unknown, doing: string) =>
      options.signal?.aborted
        ? abortError(options.signal)
        : new GatewayClientError('NETWORK_ERROR', `${what}: ${doing}: ${describe(error)}`, {
            cause: error,
          });
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, init);
    } catch (error) {
      throw failed(error, 'the gateway could not be reached');
    }
    if (!response.ok) throw await errorFromResponse(response, what);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw failed(error, 'the answer was cut off');
    }
    if (response.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new GatewayClientError('INVALID_RESPONSE', `${what} answered something not JSON`, {
        status: response.status,
        cause: error,
      });
    }
  }
}

/** A finished job's outcome for `callTool`: its result, or the error it ended with. */
function resultOf(job: Job): CallToolResult {
  if (job.status === 'succeeded') return (job.result ?? { content: [] }) as CallToolResult;
  const code = job.error?.code ?? (job.status === 'cancelled' ? 'CANCELLED' : 'INTERNAL_ERROR');
  throw new GatewayClientError(code, job.error?.message ?? `The job ended ${job.status}`, {
    job,
    result: (job.result ?? undefined) as CallToolResult | undefined,
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
