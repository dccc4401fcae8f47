import { createInterface } from 'node:readline';
import {
  Client,
  StreamableHTTPClientTransport,
  type ClientCapabilities,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { CallHandlers } from '../call-handlers.js';
import { secretScrubber, type SecretScrubber } from '../secret-scrubber.js';
import type { UpstreamApi, UpstreamSettings, UpstreamStatusWithProtocol } from '../upstream-api.js';
import { UpstreamUnavailableError, type UpstreamOptions, type UpstreamState } from '../upstream.js';
import { runCall, POLL_FLOOR_MS } from './call.js';
import {
  CLIENT_CAPABILITIES_META,
  CLIENT_INFO_META,
  HttpChannel,
  PROTOCOL_VERSION_META,
  StdioChannel,
  type RawChannel,
  type RequestListener,
} from './channel.js';

export const PROTOCOL_2026 = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 5000;

export interface Upstream2026Options extends UpstreamOptions {
  /** The fastest `tasks/get` polling (default 250 ms). */
  pollFloorMs?: number;
}

/**
 * A subclass on purpose: the v2 client probes the SDK's own stdio transport on a short-lived
 * sibling process, and a subclass in place, on the one connection (we pin the version, so there
 * is nothing to fall back to and no reason to start the server twice).
 */
class InPlaceStdioTransport extends StdioClientTransport {}

interface Connection {
  client: Client;
  channel: RawChannel;
  protocolVersion: string;
}

/**
 * One upstream that speaks protocol 2026-07-28, reached with the v2 client (`server/discover`,
 * version pinned) over stdio or Streamable HTTP. Tool calls, and the tasks extension, go through
 * a raw request path (channel.ts, call.ts): progress and log notifications are read from the
 * call's own response stream. Connects on first use; a lost or failed connection is made again in
 * the background with back-off (250 ms doubling to 5 s), like the 2025-11-25 `Upstream`.
 */
export class Upstream2026 implements UpstreamApi {
  readonly name: string;
  readonly #config: UpstreamSettings;
  readonly #options: Upstream2026Options;
  readonly #log: Logger;
  readonly #scrub: SecretScrubber;
  readonly #calls = new Map<string, CallHandlers>();
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
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

  constructor(config: UpstreamSettings, options: Upstream2026Options) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
    this.#log = options.logger.child({ upstream: config.name });
    this.#scrub = secretScrubber(config);
  }

  get state(): UpstreamState {
    return this.#state;
  }

  status(): UpstreamStatusWithProtocol {
    return {
      name: this.name,
      transport: this.#config.transport,
      state: this.#state,
      lastError: this.#lastError,
      lastErrorAt: this.#lastErrorAt === null ? null : new Date(this.#lastErrorAt).toISOString(),
      connectedAt: this.#connectedAt === null ? null : new Date(this.#connectedAt).toISOString(),
      reconnects: this.#reconnects,
      activeCalls: this.#calls.size,
      toolCount: this.#tools?.length ?? null,
      protocolVersion: this.#connection?.protocolVersion ?? null,
    };
  }

  async tools(): Promise<Tool[]> {
    await this.#connected();
    return this.#tools ?? [];
  }

  async call(
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult> {
    const { channel } = await this.#connected();
    signal.throwIfAborted();
    this.#calls.set(token, handlers);
    const listener: RequestListener = {
      progressToken: token,
      onProgress: ({ progress, total, message }) =>
        handlers.onProgress({ progress, total, message }),
      onLog: (params) =>
        handlers.onLog({
          level: typeof params.level === 'string' ? params.level : 'info',
          logger: typeof params.logger === 'string' ? params.logger : null,
          data: params.data,
        }),
    };
    const untrack = channel.track(token, listener);
    try {
      return await runCall({
        channel,
        token,
        tool,
        args,
        signal,
        handlers,
        listener,
        controlTimeoutMs: this.#options.connectTimeoutMs,
        pollFloorMs: this.#options.pollFloorMs ?? POLL_FLOOR_MS,
      });
    } catch (error) {
      if (error instanceof Error) error.message = this.#scrub.secrets(error.message);
      throw error;
    } finally {
      untrack();
      this.#calls.delete(token);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const connection = this.#connection ?? (await this.#connecting?.catch(() => undefined));
    this.#connection = undefined;
    if (connection) {
      connection.channel.fail(new UpstreamUnavailableError(this.name, 'The upstream was closed'));
      await connection.client.close().catch(() => {});
    }
    this.#state = 'disconnected';
  }

  /** What we declare on every request: form and URL elicitation, and the tasks extension. */
  #capabilities(): ClientCapabilities {
    const tasks = this.#config.tasks === 'never' ? {} : { [TASKS_EXTENSION]: {} };
    return { elicitation: { form: {}, url: {} }, extensions: tasks } as ClientCapabilities;
  }

  async #connected(): Promise<Connection> {
    if (this.#closed) throw new UpstreamUnavailableError(this.name, 'The gateway is shutting down');
    if (this.#connection) return this.#connection;
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

  #transport(): { transport: Transport; stderr: NodeJS.ReadableStream | null } {
    const config = this.#config;
    switch (config.transport) {
      case 'stdio': {
        const transport = new InPlaceStdioTransport({
          command: config.command,
          args: config.args,
          env: config.env,
          cwd: config.cwd,
          stderr: 'pipe',
        });
        return { transport, stderr: transport.stderr as NodeJS.ReadableStream | null };
      }
      case 'streamable-http':
        return {
          transport: new StreamableHTTPClientTransport(new URL(config.url), {
            requestInit: { headers: config.headers },
          }),
          stderr: null,
        };
      case 'sse':
        throw new Error('Protocol 2026-07-28 is not served over the legacy HTTP+SSE transport');
    }
    throw new Error(`Unknown transport for upstream '${this.name}'`);
  }

  async #connect(): Promise<Connection> {
    this.#state = 'connecting';
    const capabilities = this.#capabilities();
    const clientInfo = { name: 'mcp-progress-gateway', version: this.#options.clientVersion };
    const client = new Client(clientInfo, {
      capabilities,
      versionNegotiation: { mode: { pin: PROTOCOL_2026 } },
    });
    let lastStderr = '';
    let connection: Connection | undefined;
    client.onerror = (error) => {
      if (!this.#closed) this.#log.debug({ error: this.#describe(error) }, 'upstream client error');
    };
    client.onclose = () => {
      if (connection) this.#onClose(connection, lastStderr);
    };
    try {
      const { transport, stderr } = this.#transport();
      if (stderr) {
        createInterface({ input: stderr }).on('line', (raw) => {
          const line = this.#scrub.all(raw);
          lastStderr = line;
          this.#log.info({ stderr: line }, 'upstream stderr');
        });
      }
      await client.connect(transport, { timeout: this.#options.connectTimeoutMs });
      const protocolVersion = client.getNegotiatedProtocolVersion() ?? PROTOCOL_2026;
      const envelope = {
        [PROTOCOL_VERSION_META]: protocolVersion,
        [CLIENT_INFO_META]: clientInfo,
        [CLIENT_CAPABILITIES_META]: capabilities,
      };
      const channel =
        this.#config.transport === 'stdio'
          ? new StdioChannel(transport, () => envelope)
          : new HttpChannel(new URL(this.#config.url), this.#config.headers, () => envelope);
      connection = { client, channel, protocolVersion };
      const { tools } = await client.listTools(undefined, {
        timeout: this.#options.connectTimeoutMs,
      });
      this.#tools = tools as unknown as Tool[];
    } catch (error) {
      connection = undefined;
      await client.close().catch(() => {});
      const reason = this.#describe(error, lastStderr);
      this.#fail(reason);
      throw new UpstreamUnavailableError(this.name, reason, { cause: error });
    }
    if (this.#closed) {
      await client.close().catch(() => {});
      throw new UpstreamUnavailableError(this.name, 'The gateway is shutting down');
    }
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#connection = connection;
    this.#state = 'connected';
    this.#connectedAt = Date.now();
    this.#failures = 0;
    this.#log.info(
      { tools: this.#tools?.length ?? 0, protocolVersion: connection.protocolVersion },
      'upstream connected',
    );
    return connection;
  }

  #onClose(connection: Connection, lastStderr: string): void {
    const reason = `Connection closed${lastStderr ? ` (last stderr: ${lastStderr})` : ''}`;
    connection.channel.fail(new UpstreamUnavailableError(this.name, reason));
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    this.#state = 'disconnected';
    if (this.#closed) return;
    this.#lastError = reason;
    this.#lastErrorAt = Date.now();
    this.#retryAt = 0;
    this.#log.warn({ reason }, 'upstream connection lost; reconnecting');
    this.#reconnectLater();
  }

  #reconnectLater(): void {
    if (this.#closed || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(
      () => {
        this.#reconnectTimer = undefined;
        if (this.#closed || this.#connection || this.#connecting) return;
        this.#retryAt = 0;
        this.#connected().catch(() => {});
      },
      Math.max(0, this.#retryAt - Date.now()),
    ).unref();
  }

  #describe(error: unknown, lastStderr = ''): string {
    let message = error instanceof Error ? error.message : String(error);
    const cause =
      error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
    if (cause?.code) message = `${message} (${cause.code})`;
    return this.#scrub.all(lastStderr ? `${message} (last stderr: ${lastStderr})` : message);
  }

  #fail(reason: string): void {
    this.#state = 'failed';
    this.#lastError = reason;
    this.#lastErrorAt = Date.now();
    this.#failures++;
    this.#retryAt =
      Date.now() + Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (this.#failures - 1));
    if (this.#failures === 1) this.#log.warn({ reason }, 'upstream unavailable; retrying');
    else this.#log.debug({ reason, attempts: this.#failures }, 'upstream still unavailable');
    this.#reconnectLater();
  }
}
