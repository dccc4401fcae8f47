import { loadApiKeys, type ApiKey } from '../access/api-keys.js';
import { checkOpenMode } from '../access/open-mode.js';
import { ConfigError } from '../errors.js';
import { configPathFromArgs } from './argv.js';
import { parseCorsOrigins } from './cors-origins.js';
import { demoUpstream } from './demo-upstream.js';
import { readEnv, type SETTINGS, type SettingValues } from './env-schema.js';
import { readUpstreamFile, type UpstreamConfig } from './mcp-servers.js';

export type { ApiKey } from '../access/api-keys.js';
export { configPathFromArgs } from './argv.js';
export { demoUpstream } from './demo-upstream.js';
export { expandEnv, parseUpstreams, type UpstreamConfig } from './mcp-servers.js';

/**
 * Everything the gateway reads from its environment and its mcpServers file, validated and
 * frozen. The plain settings (port, limits, deadlines...) are documented in env-schema.ts.
 */
export interface Config extends SettingValues<typeof SETTINGS> {
  /** From API_KEYS and API_KEYS_FILE; empty when the gateway runs open. */
  apiKeys: readonly ApiKey[];
  /** Browser origins allowed to call the API (CORS); empty: none. */
  corsOrigins: readonly string[];
  upstreams: readonly UpstreamConfig[];
  /** Where the upstreams came from: a file path, or `demo` for the bundled demo server. */
  upstreamSource: string;
}

/** Which upstreams /readyz needs connected (READINESS_UPSTREAMS). */
export type UpstreamReadiness = Config['upstream']['readiness'];

/**
 * Builds the gateway's configuration from the environment (and `--config`), or throws a
 * ConfigError that names the bad setting.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = [],
): Config {
  const { settings, sources } = readEnv(env);
  if (settings.jobs.defaultTimeoutMs > settings.jobs.maxTimeoutMs) {
    throw new ConfigError('JOB_DEFAULT_TIMEOUT_MS: must not exceed JOB_MAX_TIMEOUT_MS');
  }
  if (settings.redis.leaseRenewMs * 2 > settings.redis.leaseTtlMs) {
    throw new ConfigError('LEASE_RENEW_MS: must be at most half of LEASE_TTL_MS');
  }
  const apiKeys = loadApiKeys(sources.apiKeys, sources.apiKeysFile, env);
  checkOpenMode({
    host: settings.host,
    keys: apiKeys.length,
    allowUnauthenticated: settings.allowUnauthenticated,
  });
  const corsOrigins = parseCorsOrigins(sources.corsOrigins);
  const file = configPathFromArgs(argv) ?? sources.configFile;
  const upstreams = file ? readUpstreamFile(file, env) : [demoUpstream()];
  return deepFreeze({
    ...settings,
    apiKeys,
    corsOrigins,
    upstreams,
    upstreamSource: file ?? 'demo',
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
