/**
 * Which protocol generation an upstream is reached with, from its `protocol` setting:
 * - `2025-11-25`: the v1 SDK client (`Upstream`);
 * - `2026-07-28`: the v2 client, version pinned (`Upstream2026`);
 * - `auto` (default): `Upstream` first, the cheapest and most common case (one `initialize`, one
 *   process); when the server refuses it as a 2026-only server does (-32022 "Unsupported protocol
 *   version", over stdio as a JSON-RPC error, over HTTP as a 400 carrying it), `Upstream2026`
 *   from then on. A server that speaks both generations is reached with 2025-11-25.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CallHandlers } from './call-handlers.js';
import type { UpstreamApi, UpstreamSettings, UpstreamStatusWithProtocol } from './upstream-api.js';
import {
  Upstream,
  UpstreamUnavailableError,
  type UpstreamOptions,
  type UpstreamState,
} from './upstream.js';
import { Upstream2026, type Upstream2026Options } from './v2026/upstream-2026.js';

/** The JSON-RPC error a 2026-only server answers a 2025 `initialize` with. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** Whether a failed 2025 connect says the server speaks only a newer protocol. */
export function refusedAsUnsupportedVersion(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === UNSUPPORTED_PROTOCOL_VERSION) return true;
    if (typeof message === 'string' && /-32022|unsupported protocol version/i.test(message)) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The upstream for `config`, of the generation its `protocol` setting asks for. */
export function createUpstream(
  config: UpstreamSettings,
  options: Upstream2026Options,
): UpstreamApi {
  switch (config.protocol ?? 'auto') {
    case '2025-11-25':
      return new Upstream(config, options);
    case '2026-07-28':
      return new Upstream2026(config, options);
    case 'auto':
      return new AutoUpstream(config, options);
  }
  throw new Error(`Unknown protocol setting for upstream '${config.name}'`);
}

/** `protocolVersion` for a v1 `Upstream`'s status (it negotiates only 2025-11-25). */
function withProtocol(upstream: UpstreamApi): UpstreamStatusWithProtocol {
  const status = upstream.status();
  if ('protocolVersion' in status) return status as UpstreamStatusWithProtocol;
  return {
    ...(status as object as UpstreamStatusWithProtocol),
    protocolVersion: upstream.state === 'connected' ? '2025-11-25' : null,
  };
}

/** Starts as a 2025-11-25 `Upstream`; becomes an `Upstream2026` when the server asks for it. */
export class AutoUpstream implements UpstreamApi {
  readonly name: string;
  readonly #config: UpstreamSettings;
  readonly #options: UpstreamOptions;
  #current: UpstreamApi;
  #switching: Promise<void> | undefined;

  constructor(config: UpstreamSettings, options: Upstream2026Options) {
    this.name = config.name;
    this.#config = config;
    this.#options = options;
    this.#current = new Upstream(config, options);
  }

  get state(): UpstreamState {
    return this.#current.state;
  }

  /** The generation in use now: `2025-11-25` until the server refused it. */
  get generation(): '2025-11-25' | '2026-07-28' {
    return this.#current instanceof Upstream2026 ? '2026-07-28' : '2025-11-25';
  }

  status(): UpstreamStatusWithProtocol {
    return withProtocol(this.#current);
  }

  async tools(): Promise<Tool[]> {
    return this.#withFallback((u) => u.tools());
  }

  async call(
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult> {
    return this.#withFallback((u) => u.call(token, tool, args, signal, handlers));
  }

  async close(): Promise<void> {
    await this.#switching;
    await this.#current.close();
  }

  async #withFallback<T>(use: (upstream: UpstreamApi) => Promise<T>): Promise<T> {
    await this.#switching;
    const upstream = this.#current;
    try {
      return await use(upstream);
    } catch (error) {
      // Only a connect failure says which generation the server speaks: a call that reached it
      // and failed is the call's own business.
      if (
        !(upstream instanceof Upstream) ||
        !(error instanceof UpstreamUnavailableError) ||
        !refusedAsUnsupportedVersion(error)
      ) {
        throw error;
      }
      this.#switching ??= (async () => {
        if (this.#current !== upstream) return;
        await upstream.close();
        this.#current = new Upstream2026(this.#config, this.#options);
      })().finally(() => {
        this.#switching = undefined;
      });
      await this.#switching;
      return use(this.#current);
    }
  }
}
