import { GatewayClientError } from './errors.js';
import { describe, discard, errorFromResponse, isRetryable } from './http.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import type { FetchLike } from './types.js';

/** How the client reconnects an event stream. */
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

/** The defaults with the options given (an `undefined` option keeps its default). */
export function reconnectSettings(options: ReconnectOptions = {}): Required<ReconnectOptions> {
  const settings = { ...DEFAULT_RECONNECT };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) settings[key as keyof ReconnectOptions] = value;
  }
  return settings;
}

/** The delay after `failures` failed attempts in a row: `retryMs` doubled each time, capped. */
export function backoff(retryMs: number, failures: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, retryMs * 2 ** Math.max(0, failures - 1));
}

/** How many event ids a {@link SeenIds} remembers. */
const SEEN_IDS = 10_000;

/**
 * The ids of the last events delivered. The gateway replays from its earliest retained event
 * when it cannot place a `Last-Event-ID`: these let a reader drop what it had delivered already.
 */
export class SeenIds {
  readonly #ids = new Set<string>();

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id` (forgetting the oldest past the limit); false if it was known already. */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > SEEN_IDS) this.#ids.delete(this.#ids.values().next().value!);
    return true;
  }
}

/** What {@link readReconnecting} reads, and what its caller decides. */
export interface ReconnectingReadOptions<T> {
  fetch: FetchLike;
  url: string;
  /** Authorization and any other headers; `accept` and `Last-Event-ID` are added. */
  headers: Record<string, string>;
  /** The stream in error messages, e.g. `the event stream of job 01k...`. */
  name: string;
  /** See {@link ReconnectOptions.idleTimeoutMs}. */
  idleTimeoutMs: number;
  /** Aborting it stops the reader at once: the connection is dropped, a wait is cut short. */
  signal: AbortSignal;
  /** The id to resume after, sent as `Last-Event-ID`; asked before each attempt. */
  lastEventId(): string | undefined;
  /** The answer is an event stream: its messages follow. */
  onOpen?(): void;
  onMessage(message: SseMessage): void;
  /** The gateway's `retry:` hint, in ms. */
  onRetry(ms: number): void;
  /** The value that ends the reader, once there is one; asked after each chunk read. */
  result(): T | undefined;
  /** A `204`: nothing after `lastEventId()`. What it resolves with ends the reader. */
  onNoContent(): Promise<T>;
  /** The stream ended without a result (the gateway ends streams by age): the wait, in ms. */
  ended(): number;
  /** An attempt failed and may be tried again: the wait in ms, or throw (`error`) to give up. */
  failed(error: GatewayClientError): number;
}

/**
 * Reads an event stream with `fetch` (so an Authorization header can be sent, which EventSource
 * cannot), connection after connection, each resumed with `Last-Event-ID`, after the wait
 * `ended` or `failed` asks for, until `result()` or a `204` gives a value. Resolves with it, or
 * with `undefined` once `signal` is aborted. Rejects with a non-retryable error (a 4xx answer)
 * and with what `failed` throws. Every failure is a `GatewayClientError`: `NETWORK_ERROR` when
 * the gateway could not be reached or the connection broke or went silent, `INVALID_RESPONSE`
 * for an answer that is not an event stream, else the answer's problem code.
 */
export async function readReconnecting<T>(
  options: ReconnectingReadOptions<T>,
): Promise<T | undefined> {
  const { signal } = options;
  for (;;) {
    if (signal.aborted) return undefined;
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    signal.addEventListener('abort', stop, { once: true });
    let delay: number;
    try {
      const result = await connect(options, attempt);
      if (result !== undefined || signal.aborted) return result;
      delay = options.ended();
    } catch (error) {
      if (signal.aborted) return undefined;
      const failure =
        error instanceof GatewayClientError
          ? error
          : new GatewayClientError('NETWORK_ERROR', describe(error), { cause: error });
      if (!isRetryable(failure)) throw failure;
      delay = options.failed(failure);
    } finally {
      signal.removeEventListener('abort', stop);
      attempt.abort();
    }
    await sleep(delay, signal);
  }
}

/** One connection: the result if it came, undefined if the stream ended without one. */
async function connect<T>(
  options: ReconnectingReadOptions<T>,
  attempt: AbortController,
): Promise<T | undefined> {
  const Name = options.name.charAt(0).toUpperCase() + options.name.slice(1);
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  const lastEventId = options.lastEventId();
  if (lastEventId) headers['last-event-id'] = lastEventId;
  let response: Response;
  try {
    response = await options.fetch(options.url, { headers, signal: attempt.signal });
  } catch (error) {
    throw new GatewayClientError(
      'NETWORK_ERROR',
      `Could not open ${options.name}: ${describe(error)}`,
      { cause: error },
    );
  }
  if (options.signal.aborted) {
    discard(response);
    return undefined;
  }
  if (response.status === 204) {
    discard(response);
    return options.onNoContent();
  }
  if (!response.ok) throw await errorFromResponse(response, Name);
  const type = response.headers.get('content-type') ?? '';
  if (!/^text\/event-stream/i.test(type) || !response.body) {
    discard(response);
    throw new GatewayClientError(
      'INVALID_RESPONSE',
      `${Name} answered ${type || 'no content type'}`,
      { status: response.status },
    );
  }
  options.onOpen?.();
  await readBody(response.body, attempt, options, `${Name} was interrupted`);
  return options.result();
}

/**
 * Parses a response body until it ends, a result came or the reader is stopped. A read that
 * fails becomes a NETWORK_ERROR (or the attempt's own abort reason); a connection silent for
 * `idleTimeoutMs` is aborted, so a half-open socket never hangs a reader.
 */
async function readBody<T>(
  body: ReadableStream<Uint8Array>,
  attempt: AbortController,
  options: ReconnectingReadOptions<T>,
  interrupted: string,
): Promise<void> {
  const { idleTimeoutMs } = options;
  const parser = new SseParser({ onMessage: options.onMessage, onRetry: options.onRetry });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const idle = () =>
    attempt.abort(
      new GatewayClientError('NETWORK_ERROR', `Nothing arrived for ${idleTimeoutMs} ms`),
    );
  let timer = setTimeout(idle, idleTimeoutMs);
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const reason: unknown = attempt.signal.aborted ? attempt.signal.reason : error;
        if (reason instanceof GatewayClientError) throw reason;
        throw new GatewayClientError('NETWORK_ERROR', `${interrupted}: ${describe(error)}`, {
          cause: error,
        });
      }
      clearTimeout(timer);
      if (chunk.done) {
        parser.push(decoder.decode());
        return;
      }
      parser.push(decoder.decode(chunk.value, { stream: true }));
      if (options.result() !== undefined || options.signal.aborted) return;
      timer = setTimeout(idle, idleTimeoutMs);
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

/** Waits `ms`, or less if `signal` is aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
