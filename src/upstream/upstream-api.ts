/**
 * The seam between the upstream pool (and the jobs it serves) and one upstream connection,
 * whichever protocol generation carries it: `Upstream` (v1 SDK client, protocol 2025-11-25)
 * and `Upstream2026` (v2 client, protocol 2026-07-28) both offer this.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamConfig } from '../config/mcp-servers.js';
import type { CallHandlers } from './call-handlers.js';
import type { UpstreamState, UpstreamStatus } from './upstream.js';

/** Which protocol generation an upstream speaks: the mcpServers entry's `protocol` setting. */
export type ProtocolSetting = 'auto' | '2025-11-25' | '2026-07-28';

/** An upstream's config with the per-upstream settings this layer reads (all optional). */
export type UpstreamSettings = UpstreamConfig & {
  protocol?: ProtocolSetting;
  tasks?: 'auto' | 'always' | 'never';
};

/** `GET /v1/servers` for one upstream, with the negotiated protocol version. */
export type UpstreamStatusWithProtocol = UpstreamStatus & { protocolVersion: string | null };

export interface UpstreamApi {
  readonly name: string;
  readonly state: UpstreamState;
  status(): UpstreamStatus;
  /** The upstream's tools, connecting first if needed. */
  tools(): Promise<Tool[]>;
  /**
   * Calls a tool with `token` as its progress token; notifications, task changes and input
   * requests tied to this call go to `handlers` until it settles. Resolves with the result (a
   * task's final result included); rejects with UpstreamUnavailableError or McpError.
   */
  call(
    token: string,
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    handlers: CallHandlers,
  ): Promise<CallToolResult>;
  close(): Promise<void>;
}
