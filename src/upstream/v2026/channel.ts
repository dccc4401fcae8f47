/**
 * A raw JSON-RPC request path to a 2026-07-28 upstream, beside the v2 client that connected
 * it. The v2 client refuses a `resultType: "task"` answer (UNSUPPORTED_RESULT_TYPE) and has no
 * way to tie a notification to the call whose stream carried it, so tool calls and the tasks
 * extension's requests go through here, with our own request ids and our own envelope.
 *
 * - stdio: one pipe for everything. Our requests carry string ids (`gw-<n>`) the client never
 *   uses; their responses, and every progress and log notification, are taken from the
 *   transport before the client sees them. Progress is routed by its token; a log notification
 *   carries no tie to a request, so it goes to a call only when that call is the only one in
 *   flight (otherwise it is dropped).
 * - Streamable HTTP (stateless in 2026-07-28): each request gets a transport of its own, so
 *   everything on its response stream belongs to that request, logs included.
 */
import {
  StreamableHTTPClientTransport,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { readProgress, type ProgressNotice } from '../progress-fast-path.js';

/** The reserved `_meta` keys every 2026-07-28 request carries. */
export const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_INFO_META = 'io.modelcontextprotocol/clientInfo';
export const CLIENT_CAPABILITIES_META = 'io.modelcontextprotocol/clientCapabilities';

export type Envelope = Record<string, unknown>;

/** What a channel tells the caller of one request besides its response. */
export interface RequestListener {
  /** The call's progress token, if it asked for progress. */
  progressToken?: string;
  onProgress?(notice: ProgressNotice): void;
  onLog?(params: Record<string, unknown>): void;
}

export interface RawResponse {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface RawChannel {
  /**
   * Sends `method` with `params` (the envelope added to `_meta`) and resolves with the response.
   * When `signal` aborts it rejects with the abort's McpError and sends `notifications/cancelled`.
   */
  request(
    method: string,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number; listener?: RequestListener },
  ): Promise<RawResponse>;
  /**
   * Ties progress and log notifications to a whole call (its progress token) until the returned
   * function is called, between its requests too. Only a shared pipe needs this.
   */
  track(token: string, listener: RequestListener): () => void;
  /** Rejects everything in flight (the connection is gone). */
  fail(error: Error): void;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function withEnvelope(params: Record<string, unknown>, envelope: Envelope) {
  const meta = isRecord(params._meta) ? params._meta : {};
  return { ...params, _meta: { ...meta, ...envelope } };
}

/** The error a request rejects with when `signal` aborts: what the v1 SDK does too. */
export function abortError(signal: AbortSignal): McpError {
  const reason: unknown = signal.reason;
  return reason instanceof McpError
    ? reason
    : new McpError(ErrorCode.RequestTimeout, String(reason));
}

function timeoutSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined) {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function asResponse(message: Record<string, unknown>): RawResponse {
  if (isRecord(message.error)) {
    const { code, message: text, data } = message.error;
    return {
      error: {
        code: typeof code === 'number' ? code : ErrorCode.InternalError,
        message: typeof text === 'string' ? text : 'Upstream error',
        data,
      },
    };
  }
  return { result: isRecord(message.result) ? message.result : {} };
}

interface Pending {
  resolve(response: RawResponse): void;
  reject(error: Error): void;
}

/**
 * The stdio channel: takes over `transport.onmessage` (call after the client connected); what is
 * not ours goes on to the client unchanged.
 */
export class StdioChannel implements RawChannel {
  readonly #transport: Transport;
  readonly #envelope: () => Envelope;
  readonly #pending = new Map<string, Pending>();
  /** Calls in flight by progress token (a tool call and its follow-up requests share one). */
  readonly #calls = new Map<string, RequestListener>();
  #next = 0;

  constructor(transport: Transport, envelope: () => Envelope) {
    this.#transport = transport;
    this.#envelope = envelope;
    const client = transport.onmessage;
    if (!client) throw new Error('StdioChannel needs a connected transport');
    transport.onmessage = (message: JSONRPCMessage, extra?: unknown) => {
      if (!this.#take(message))
        (client as (m: JSONRPCMessage, e?: unknown) => void)(message, extra);
    };
  }

  /** Registers a whole call (its token) so progress and logs find it between requests too. */
  track(token: string, listener: RequestListener): () => void {
    this.#calls.set(token, listener);
    return () => this.#calls.delete(token);
  }

  /** Handles one incoming message if it is ours; false hands it to the client. */
  #take(message: JSONRPCMessage): boolean {
    const m = message as Record<string, unknown>;
    if (typeof m.id === 'string' && !('method' in m)) {
      const pending = this.#pending.get(m.id);
      if (!pending) return m.id.startsWith('gw-');
      this.#pending.delete(m.id);
      pending.resolve(asResponse(m));
      return true;
    }
    if (m.method === 'notifications/progress' && !('id' in m)) {
      const notice = readProgress(message);
      if (notice) this.#calls.get(String(notice.progressToken))?.onProgress?.(notice);
      return true;
    }
    if (m.method === 'notifications/message' && !('id' in m)) {
      // No tie to a request on a shared pipe: only the sole call in flight may have it.
      if (this.#calls.size === 1 && isRecord(m.params)) {
        const [listener] = this.#calls.values();
        listener!.onLog?.(m.params);
      }
      return true;
    }
    return false;
  }

  request(
    method: string,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number; listener?: RequestListener },
  ): Promise<RawResponse> {
    const id = `gw-${++this.#next}`;
    const signal = timeoutSignal(options.signal, options.timeoutMs);
    return new Promise<RawResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        this.#pending.delete(id);
        reject(abortError(signal!));
        this.#transport
          .send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: withEnvelope(
              { requestId: id, reason: String(signal!.reason) },
              this.#envelope(),
            ),
          } as JSONRPCMessage)
          .catch(() => {});
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.#pending.set(id, {
        resolve: (response) => {
          done();
          resolve(response);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.#transport
        .send({
          jsonrpc: '2.0',
          id,
          method,
          params: withEnvelope(params, this.#envelope()),
        } as JSONRPCMessage)
        .catch((error: unknown) => {
          this.#pending.get(id)?.reject(error instanceof Error ? error : new Error(String(error)));
          this.#pending.delete(id);
        });
    });
  }

  fail(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}

/** The Streamable HTTP channel: a transport of its own per request (the protocol is stateless). */
export class HttpChannel implements RawChannel {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #envelope: () => Envelope;
  readonly #open = new Set<{ reject(error: Error): void }>();
  #next = 0;

  constructor(url: URL, headers: Record<string, string>, envelope: () => Envelope) {
    this.#url = url;
    this.#headers = headers;
    this.#envelope = envelope;
  }

  #transport(): StreamableHTTPClientTransport {
    return new StreamableHTTPClientTransport(this.#url, {
      requestInit: { headers: this.#headers },
    });
  }

  track(): () => void {
    return () => {};
  }

  async request(
    method: string,
    params: Record<string, unknown>,
    options: { signal?: AbortSignal; timeoutMs?: number; listener?: RequestListener },
  ): Promise<RawResponse> {
    const signal = timeoutSignal(options.signal, options.timeoutMs);
    signal?.throwIfAborted();
    const id = `gw-${++this.#next}`;
    const listener = options.listener;
    const transport = this.#transport();
    let entry: { reject(error: Error): void } | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<RawResponse>((resolve, reject) => {
        entry = { reject };
        this.#open.add(entry);
        transport.onmessage = (message: JSONRPCMessage) => {
          const m = message as Record<string, unknown>;
          if (m.id === id && !('method' in m)) return resolve(asResponse(m));
          if (m.method === 'notifications/progress') {
            const notice = readProgress(message);
            if (notice && String(notice.progressToken) === listener?.progressToken) {
              listener.onProgress?.(notice);
            }
          } else if (m.method === 'notifications/message' && isRecord(m.params)) {
            listener?.onLog?.(m.params);
          }
        };
        transport.onerror = (error: Error) => reject(error);
        onAbort = () => {
          reject(abortError(signal!));
          this.#cancel(id, signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        transport
          .start()
          .then(() =>
            transport.send({
              jsonrpc: '2.0',
              id,
              method,
              params: withEnvelope(params, this.#envelope()),
            } as JSONRPCMessage),
          )
          .catch((error: unknown) =>
            reject(error instanceof Error ? error : new Error(String(error))),
          );
      });
    } finally {
      if (entry) this.#open.delete(entry);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      transport.close().catch(() => {});
    }
  }

  /** Tells the server a request was cancelled (best effort, never awaited by the caller). */
  #cancel(requestId: string, reason: unknown): void {
    const transport = this.#transport();
    transport
      .start()
      .then(() =>
        transport.send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: withEnvelope({ requestId, reason: String(reason) }, this.#envelope()),
        } as JSONRPCMessage),
      )
      .catch(() => {})
      .finally(() => transport.close().catch(() => {}));
  }

  fail(error: Error): void {
    const open = [...this.#open];
    this.#open.clear();
    for (const entry of open) entry.reject(error);
  }
}
