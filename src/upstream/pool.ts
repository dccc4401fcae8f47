import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamReadiness } from '../config/index.js';
import type { UpstreamConfig } from '../config/mcp-servers.js';
import { GatewayError } from '../errors.js';
import { createUpstream } from './negotiate.js';
import type { UpstreamApi } from './upstream-api.js';
import { UpstreamUnavailableError, type UpstreamStatus } from './upstream.js';

/** The configured upstreams by name, one shared session each. */
export class UpstreamPool {
  readonly #upstreams = new Map<string, UpstreamApi>();

  constructor(
    configs: readonly UpstreamConfig[],
    options: { connectTimeoutMs: number; logger: Logger; clientVersion: string },
  ) {
    for (const config of configs) {
      this.#upstreams.set(config.name, createUpstream(config, options));
    }
  }

  /** The upstream called `name`, or UNKNOWN_SERVER. */
  require(name: string): UpstreamApi {
    const upstream = this.#upstreams.get(name);
    if (!upstream)
      throw new GatewayError('UNKNOWN_SERVER', `No upstream server is named '${name}'`);
    return upstream;
  }

  /** The tools of upstream `name`, connecting if needed; UPSTREAM_UNAVAILABLE if it cannot. */
  async tools(name: string): Promise<{ upstream: UpstreamApi; tools: Tool[] }> {
    const upstream = this.require(name);
    try {
      return { upstream, tools: await upstream.tools() };
    } catch (error) {
      if (!(error instanceof UpstreamUnavailableError)) throw error;
      throw new GatewayError(
        'UPSTREAM_UNAVAILABLE',
        `Upstream '${name}' cannot be reached: ${error.message}`,
        { headers: { 'retry-after': '5' }, cause: error },
      );
    }
  }

  statuses(): UpstreamStatus[] {
    return [...this.#upstreams.values()].map((u) => u.status());
  }

  /** Whether the upstreams `policy` requires are connected now (contacts none of them). */
  ready(policy: UpstreamReadiness): boolean {
    if (policy === 'none') return true;
    const connected = (u: UpstreamApi) => u.state === 'connected';
    const upstreams = [...this.#upstreams.values()];
    return policy === 'all' ? upstreams.every(connected) : upstreams.some(connected);
  }

  /** Connects to every upstream now, so the first job does not wait; failures are only logged. */
  warmUp(): void {
    for (const upstream of this.#upstreams.values()) upstream.tools().catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.#upstreams.values()].map((u) => u.close()));
  }
}
