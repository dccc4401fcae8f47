import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
  ProgressNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/mcp-servers.js';
import type { CallHandlers } from './call-handlers.js';
import { routeProgressFirst, type ProgressNotice } from './progress-fast-path.js';
import { secretScrubber, type SecretScrubber } from './secret-scrubber.js';
import { createTransport } from './transport.js';
import { CallRegistry, type ActiveCall } from './call-attribution.js';
import { CLIENT_CAPABILITIES, routeToCalls } from './input-requests.js';
import { captureProtocolVersion, unsupportedVersions } from './protocol-version.js';
import { callAsTask, runsAsTask } from './task-call.js';

export type { CallHandlers, LogMessage, ProgressUpdate } from './call-handlers.js';

/** Connection state of an upstream, as `GET /v1/servers` shows it. */
export type UpstreamState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed';

export interface UpstreamStatus {
  name: string;
  transport: UpstreamConfig['transport'];
  state: UpstreamState;
  lastError: string | null;
  lastErrorAt: string | null;
  connectedAt: string | null;
  /** How many times a lost connection was made again. */
  reconnects: number;
  activeCalls: number;
  toolCount: number | null;
  /** The protocol version negotiated with the upstream at its last connect. */
  protocolVersion: string | null;
}

/** The upstream could not be reached (connect, initialize or tools/list failed). */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly upstream: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamUnavailableError';
  }
}

/**
 * The upstream does not speak the protocol version this client offers (2025-11-25 and older,
 * SDK v1): typically a 2026-07-28-only server. `supported` lists the versions it named, if any.
 * An UpstreamUnavailableError, so callers that do not pick a generation treat it as such.
 */
export class UnsupportedProtocolError extends UpstreamUnavailableError {
  readonly supported: string[];
  readonly requested = LATEST_PROTOCOL_VERSION;

  constructor(upstream: string, supported: string[], options?: { cause?: unknown }) {
    super(
      upstream,
      `The upstream does not support protocol version ${LATEST_PROTOCOL_VERSION}` +
        (supported.length ? `; it supports ${supported.join(', ')}` : ''),
      options,
    );
    this.name = 'UnsupportedProtocolError';
    this.supported = supported;
  }
}

/** A connected session a call runs on. */
interface CallTarget {
  client: Client;
  calls: CallRegistry;
  sessionClosed: AbortSignal;
  tools: Tool[] | undefined;
}

/** A client made by Upstream#newClient, with what its owner needs to connect and report it. */
interface NewClient {
  client: Client;
  transport: Transport;
  onProgress(notice: ProgressNotice): void;
  lastStderr(): string;
  protocolVersion(): string | undefined;
}

export interface UpstreamOptions {
  connectTimeoutMs: number;
  logger: Logger;
  clientVersion: string;
}

// The longest timer Node accepts; our own deadlines (jobs/deadlines.ts) end calls first.
const NO_SDK_TIMEOUT = 2 ** 31 - 1;
const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 5000;

/**
 * One MCP client session to one upstream, shared by every job on it. Connects on first use; once
 * it has been asked to connect, a lost or failed connection is made again in the background with
 * back-off (250 ms doubling to 5 s; a crashed stdio server is started anew), so its state says
 * whether it can take a call right now (readiness depends on it).
 * Progress is routed by our own progress token, never through the SDK's `onprogress`, so the
 * last notifications before a result are not lost (typescript-sdk #2580, docs/pitfalls.md#progress-that-races-the-result).
 */
export class Upstream {
  readonly name: string;
  readonly #config: UpstreamConfig;
  readonly #options: UpstreamOptions;
  readonly #log: Logger;
  /** Upstream secrets (headers, URL query, env) never reach a log line, lastError or a job. */
  readonly #scrub: SecretScrubber;
  /** The calls on the shared session. */
  readonly #calls = new CallRegistry();
  /** Calls on sessions of their own (`isolation: session-per-job`). */
  #isolatedCalls = 0;
  readonly #closingSessions = new Set<Promise<void>>();
  #client: Client | undefined;
  /** Aborts when the shared session's current connection closes. */
  #sessionClosed: AbortSignal = AbortSignal.abort();
  #protocolVersion: string | null = null;
  #connecting: Promise<Client> | undefined;
  #tools: Tool[] | undefined;
  #state: UpstreamState = 'idle';
  #lastError: string | null = null;
  #lastErrorAt: number | null = null;
  #connectedAt: number | null = null;
  #everConnected = false;
  #reconnects = 0;
  #failures = 0;
  #retryAt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(config: UpstreamConfig, options: UpstreamOptions) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
    this.#log = options.logger.child({ upstream: config.name });
    this.#scrub = secretScrubber(config);
  }

  get state(): UpstreamState {
    return this.#state;
  }

  status(): UpstreamStatus {
    return {
      name: this.name,
      transport: this.#config.transport,
      state: this.#state,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt === null ? null : new Date(this.#lastErrorAt).toISOString(),
      connectedAt: this.#connectedAt === null ? null : new Date(this.#connectedAt).toISOString(),
      reconnects: this.#reconnects,
      activeCalls: this.#calls.size + this.#isolatedCalls,
      toolCount: this.#tools?.length ?? null,
      protocolVersion: this.#protocolVersion,
    };
  }

  /** The upstream's tools, connecting first if needed. */
  async tools(): Promise<Tool[]> {
    await this.#connected();
    return this.#tools ?? [];
  }

  /**
   * Calls a tool with `token` as its progress token. Progress for that token, and the logs, input
   * requests and task statuses tied to the call (call-attribution.ts), go to `handlers` until the
   * call settles. A tool that runs as a task (task-call.ts) is followed to its result; aborting
   * `signal` then also sends `tasks/cancel`. With `isolation: session-per-job` the call gets a
   * session of its own. Rejects with UpstreamUnavailableError when the upstream cannot be reached,
   * and with the SDK's McpError otherwise.
   */
  async call(
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult> {
    if (this.#config.isolation === 'session-per-job') {
      return this.#callIsolated(token, tool, args, signal, handlers);
    }
    const client = await this.#connected();
    signal.throwIfAborted();
    const target = {
      client,
      calls: this.#calls,
      sessionClosed: this.#sessionClosed,
      tools: this.#tools,
    };
    return this.#callOn(target, token, tool, args, signal, handlers);
  }

  async #callOn(
    { client, calls, sessionClosed, tools }: CallTarget,
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult> {
    const ended = new AbortController();
    const call: ActiveCall = { token, handlers, signal: AbortSignal.any([signal, ended.signal]) };
    calls.add(call);
    try {
      const info = tools?.find((t) => t.name === tool);
      if (runsAsTask(this.name, info, client.getServerCapabilities(), this.#config.tasks)) {
        const log = this.#log.child({ token });
        return await callAsTask({ client, calls, call, tool, args, signal, sessionClosed, log });
      }
      const result = await client.callTool(
        { name: tool, arguments: args, _meta: { progressToken: token } },
        CallToolResultSchema,
        { signal, timeout: NO_SDK_TIMEOUT },
      );
      return result as CallToolResult;
    } catch (error) {
      // The transports quote what the server answered, which may echo our headers.
      if (error instanceof Error) error.message = this.#scrub.secrets(error.message);
      throw error;
    } finally {
      ended.abort();
      calls.delete(token);
    }
  }

  /** A call on a session of its own: connect, call, close (the close is not awaited). */
  async #callIsolated(
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult> {
    if (this.#closed) throw new UpstreamUnavailableError(this.name, 'The gateway is shutting down');
    this.#isolatedCalls++;
    const calls = new CallRegistry();
    const closed = new AbortController();
    let session: NewClient | undefined;
    try {
      signal.throwIfAborted();
      session = this.#newClient(calls);
      const { client } = session;
      client.onerror = (error) =>
        this.#log.debug({ error: this.#describe(error) }, 'upstream client error (own session)');
      client.onclose = () => closed.abort();
      try {
        await client.connect(session.transport, { timeout: this.#options.connectTimeoutMs });
        routeProgressFirst(session.transport, session.onProgress);
      } catch (error) {
        throw this.#connectError(error, session.lastStderr());
      }
      // This session's own list: task support, output schemas (servers may list per session).
      let tools: Tool[];
      try {
        tools = await listAllTools(client, this.#options.connectTimeoutMs);
      } catch (error) {
        throw this.#connectError(error, session.lastStderr());
      }
      const target = { client, calls, sessionClosed: closed.signal, tools };
      return await this.#callOn(target, token, tool, args, signal, handlers);
    } finally {
      this.#isolatedCalls--;
      if (session) {
        const closing = session.client.close().catch(() => {});
        this.#closingSessions.add(closing);
        void closing.finally(() => this.#closingSessions.delete(closing));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    if (client) await client.close().catch(() => {});
    await Promise.all(this.#closingSessions);
    this.#state = 'disconnected';
  }

  async #connected(): Promise<Client> {
    if (this.#closed) throw new UpstreamUnavailableError(this.name, 'The gateway is shutting down');
    if (this.#client) return this.#client;
    if (!this.#connecting) {
      if (Date.now() < this.#retryAt && this.#lastError) {
        throw new UpstreamUnavailableError(this.name, this.#lastError);
      }
      this.#connecting = this.#connect().finally(() => {
        this.#connecting = undefined;
      });
    }
    return this.#connecting;
  }

  /**
   * A client on a new transport, not yet connected: elicitation declared, progress routed by
   * token to `calls`, logs, input requests and task statuses routed by input-requests.ts.
   */
  #newClient(calls: CallRegistry): NewClient {
    const { transport, stderr } = createTransport(this.#config);
    const client = new Client(
      { name: 'mcp-progress-gateway', version: this.#options.clientVersion },
      { capabilities: CLIENT_CAPABILITIES },
    );
    const negotiated = captureProtocolVersion(transport);
    let lastStderr = '';
    if (stderr) {
      createInterface({ input: stderr }).on('line', (raw) => {
        const line = this.#scrub.all(raw);
        lastStderr = line;
        this.#log.info({ stderr: line }, 'upstream stderr');
      });
    }
    const onProgress = ({ progressToken, progress, total, message }: ProgressNotice) => {
      calls.get(String(progressToken))?.handlers.onProgress({ progress, total, message });
    };
    // Malformed-looking progress still reaches this through the SDK (routeProgressFirst).
    client.setNotificationHandler(ProgressNotificationSchema, (n) => onProgress(n.params));
    routeToCalls(client, calls, this.#log);
    return {
      client,
      transport,
      onProgress,
      lastStderr: () => lastStderr,
      protocolVersion: negotiated.version,
    };
  }

  /** What a failed connect throws: UnsupportedProtocolError or UpstreamUnavailableError. */
  #connectError(error: unknown, lastStderr: string): UpstreamUnavailableError {
    const supported = unsupportedVersions(error);
    if (supported) return new UnsupportedProtocolError(this.name, supported, { cause: error });
    return new UpstreamUnavailableError(this.name, this.#describe(error, lastStderr), {
      cause: error,
    });
  }

  async #connect(): Promise<Client> {
    this.#state = 'connecting';
    const session = this.#newClient(this.#calls);
    const { client, transport } = session;
    const closed = new AbortController();
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.#refreshTools(client).catch((error: unknown) =>
        this.#log.warn({ error: this.#describe(error) }, 'could not refresh the tool list'),
      );
    });
    let lost = '';
    let verifying = false;
    client.onerror = (error) => {
      if (this.#closed) return;
      this.#log.debug({ error: this.#describe(error) }, 'upstream client error');
      // The HTTP transports report a server that went away only here, and leave pending calls
      // waiting for ever (their stream ended without a response). A failed ping closes the
      // session, which fails those calls now (UPSTREAM_DISCONNECTED); the next use reconnects.
      if (this.#config.transport === 'stdio' || verifying || this.#client !== client) return;
      verifying = true;
      client.ping({ timeout: this.#options.connectTimeoutMs }).then(
        () => {
          verifying = false;
        },
        (pingError: unknown) => {
          if (this.#client !== client) return;
          lost = this.#describe(pingError);
          client.close().catch(() => {});
        },
      );
    };
    client.onclose = () => {
      closed.abort();
      this.#onClose(client, session.lastStderr(), lost);
    };
    try {
      await client.connect(transport, { timeout: this.#options.connectTimeoutMs });
      routeProgressFirst(transport, session.onProgress);
      await this.#refreshTools(client);
    } catch (error) {
      await client.close().catch(() => {});
      const failure = this.#connectError(error, session.lastStderr());
      this.#fail(failure.message);
      throw failure;
    }
    if (this.#closed) {
      await client.close().catch(() => {});
      throw new UpstreamUnavailableError(this.name, 'The gateway is shutting down');
    }
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#client = client;
    this.#sessionClosed = closed.signal;
    this.#protocolVersion = session.protocolVersion() ?? null;
    this.#state = 'connected';
    this.#connectedAt = Date.now();
    this.#failures = 0;
    this.#log.info({ tools: this.#tools?.length ?? 0 }, 'upstream connected');
    return client;
  }

  async #refreshTools(client: Client): Promise<void> {
    this.#tools = await listAllTools(client, this.#options.connectTimeoutMs);
  }

  #onClose(client: Client, lastStderr: string, lost: string): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#state = 'disconnected';
    if (this.#closed) return;
    const reason =
      `Connection closed${lost ? ` (the upstream stopped answering: ${lost})` : ''}` +
      `${lastStderr ? ` (last stderr: ${lastStderr})` : ''}`;
    this.#lastError = reason;
    this.#lastErrorAt = Date.now();
    this.#retryAt = 0;
    this.#log.warn({ reason }, 'upstream connection lost; reconnecting');
    this.#reconnectLater();
  }

  /** Connects again once the back-off allows; a failure schedules the next attempt (#fail). */
  #reconnectLater(): void {
    if (this.#closed || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(
      () => {
        this.#reconnectTimer = undefined;
        if (this.#closed || this.#client || this.#connecting) return;
        this.#retryAt = 0;
        this.#connected().catch(() => {});
      },
      Math.max(0, this.#retryAt - Date.now()),
    ).unref();
  }

  /** An error as it may be shown and logged: this upstream's secrets and URL queries masked. */
  #describe(error: unknown, lastStderr = ''): string {
    return this.#scrub.all(describe(error, lastStderr));
  }

  #fail(reason: string): void {
    this.#state = 'failed';
    this.#lastError = reason;
    this.#lastErrorAt = Date.now();
    this.#failures++;
    // Back off so a dead upstream is hammered neither by requests nor by the reconnect loop.
    this.#retryAt =
      Date.now() + Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (this.#failures - 1));
    // One warning when it goes down, not one per attempt while it stays down.
    if (this.#failures === 1) this.#log.warn({ reason }, 'upstream unavailable; retrying');
    else this.#log.debug({ reason, attempts: this.#failures }, 'upstream still unavailable');
    this.#reconnectLater();
  }
}

function describe(error: unknown, lastStderr: string): string {
  let message: string;
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    message = 'Timed out connecting to the upstream';
  } else if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    message = cause?.code ? `${error.message} (${cause.code})` : error.message;
  } else {
    message = String(error);
  }
  return lastStderr ? `${message} (last stderr: ${lastStderr})` : message;
}

/** Every page of the upstream's tool list. */
async function listAllTools(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}
