import type { ApiKey } from './api-keys.js';

/**
 * What each API key may use: the per-key allow-lists of upstreams and tools from the keys file.
 * A key without lists (every `API_KEYS` key) may use everything, and so may everyone when the
 * gateway runs open. Callers answer a refusal exactly as they answer a name that does not exist
 * (UNKNOWN_SERVER, UNKNOWN_TOOL), so a key learns nothing about what it may not use.
 */
export class AccessPolicy {
  readonly #keys: ReadonlyMap<string, ApiKey>;

  constructor(keys: readonly ApiKey[]) {
    this.#keys = new Map(keys.map((key) => [key.name, key]));
  }

  /** Whether `owner` (an API key name, or `null` when running open) may use upstream `server`. */
  allowsServer(owner: string | null, server: string): boolean {
    if (owner === null) return true;
    const key = this.#keys.get(owner);
    if (!key) return false;
    return key.servers === undefined || key.servers.includes(server);
  }

  /** Whether `owner` may call `tool` on upstream `server`. */
  allowsTool(owner: string | null, server: string, tool: string): boolean {
    if (!this.allowsServer(owner, server)) return false;
    if (owner === null) return true;
    const tools = this.#keys.get(owner)?.tools;
    const allowed = tools && Object.hasOwn(tools, server) ? tools[server] : undefined;
    return allowed === undefined || allowed.includes(tool);
  }
}
