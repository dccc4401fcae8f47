import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadApiKeys, type ApiKey } from './api-keys.js';
import { ConfigError } from './errors.js';
import { readJsonFile } from './json-file.js';
import { checkOpenMode } from './open-mode.js';

export type { ApiKey } from './api-keys.js';

/** How to reach one upstream MCP server. */
export type UpstreamConfig = (
  | {
      name: string;
      transport: 'stdio';
      command: string;
      args: string[];
      env: Record<string, string>;
      cwd?: string;
    }
  | {
      name: string;
      transport: 'streamable-http' | 'sse';
      url: string;
      headers: Record<string, string>;
    }
) &
  UpstreamCallSettings;

/** How calls to one upstream run; each is absent when the entry leaves it at its default. */
export interface UpstreamCallSettings {
  /**
   * Task-backed calls: `auto` (default) runs tools marked `taskSupport: required` as tasks, and
   * `optional` ones when the upstream declares the tasks capability; `always` runs every tool that
   * allows it as a task; `never` makes plain calls only (a task-only tool then fails).
   */
  tasks?: 'auto' | 'always' | 'never';
  /** `shared` (default): one session for every job; `session-per-job`: a session per call. */
  isolation?: 'shared' | 'session-per-job';
  /** Which protocol generation to speak; `auto` (default) lets the gateway pick. */
  protocol?: 'auto' | '2025-11-25' | '2026-07-28';
}

/** Everything the gateway reads from its environment and its mcpServers file, validated. */
/**
 * Which upstreams /readyz needs connected: `any` one of them (default: a gateway none of whose
 * upstreams answers can run nothing), `all` of them, or `none` (readiness is the store alone).
 */
export type UpstreamReadiness = 'any' | 'all' | 'none';

export interface Config {
  port: number;
  host: string;
  logLevel: string;
  store: 'memory' | 'redis';
  redisUrl: string;
  /** Settings of the Redis store (STORE=redis); unused by the memory store. */
  redis: {
    /** Put before every key the gateway writes, so several gateways (or tests) share one Redis. */
    keyPrefix: string;
    /**
     * A replica that has not renewed its lease for this long is presumed dead: another replica
     * fails its running jobs with GATEWAY_INSTANCE_LOST (at most about TTL + renew after its death).
     */
    leaseTtlMs: number;
    /** How often each replica renews its lease and looks for dead replicas. */
    leaseRenewMs: number;
  };
  /** From API_KEYS and API_KEYS_FILE; empty when the gateway runs open. */
  apiKeys: readonly ApiKey[];
  /** Whether running open (no API keys) on a non-loopback address was asked for. */
  allowUnauthenticated: boolean;
  /** Browser origins allowed to call the API (CORS); empty: none. */
  corsOrigins: readonly string[];
  /** Abuse limits. Per process: replicas on one Redis each enforce their own. */
  limits: {
    /** Jobs one key (or, running open, one client address) may start per minute; 0: no limit. */
    jobsPerMinute: number;
    /** Jobs of one key running at once; more wait as `queued`. */
    maxRunningPerKey: number;
    /** Jobs on one upstream running at once, whoever started them; more wait as `queued`. */
    maxRunningPerUpstream: number;
    /** Jobs of one key waiting as `queued`; more are refused with 429 TOO_MANY_QUEUED_JOBS. */
    maxQueuedPerKey: number;
  };
  /** How long the stream token in a job's `links.events` stays valid (API keys on). */
  streamTokenTtlMs: number;
  upstreams: readonly UpstreamConfig[];
  /** Where the upstreams came from: a file path, or `demo` for the bundled demo server. */
  upstreamSource: string;
  jobs: {
    /** Hard deadline used when a job names none. */
    defaultTimeoutMs: number;
    /** The largest `timeoutMs` a client may ask for. */
    maxTimeoutMs: number;
    /** Idle deadline (restarted by each progress notification) used when a job names none. */
    defaultIdleTimeoutMs: number;
    /** How long a finished job and its events are kept. */
    retentionMs: number;
    /** How many jobs the memory store holds at most (finished ones are evicted first). */
    maxJobs: number;
    /** How many events one job's log retains at most. */
    maxEventsPerJob: number;
  };
  sse: {
    /** The `retry:` hint sent first on every stream. */
    retryMs: number;
    /** A comment line is sent after this long without any other write. */
    heartbeatMs: number;
    /** A subscriber whose unsent bytes pass this is disconnected. */
    maxBacklogBytes: number;
    /** Streams are ended after this long, with a `retry:` hint; clients resume losslessly. */
    maxStreamAgeMs: number;
  };
  upstream: {
    /** How long connecting to an upstream (and listing its tools) may take. */
    connectTimeoutMs: number;
    /** Which upstreams must be connected for /readyz to say ready. */
    readiness: UpstreamReadiness;
  };
  /** How long shutdown may take before the process exits anyway. */
  shutdownGraceMs: number;
}

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const settingsSchema = z.object({
  PORT: int(0, 65535, 8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STORE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{0,100}$/, "must be at most 100 letters, digits, '_', '.', ':' or '-'")
    .default('mpg:'),
  LEASE_TTL_MS: int(300, 3_600_000, 15_000),
  LEASE_RENEW_MS: int(100, 1_800_000, 5000),
  API_KEYS: z.string().default(''),
  API_KEYS_FILE: z.string().optional(),
  ALLOW_UNAUTHENTICATED: z
    .enum(['true', 'false'], 'must be true or false')
    .default('false')
    .transform((v) => v === 'true'),
  CORS_ORIGINS: z.string().default(''),
  RATE_LIMIT_JOBS_PER_MINUTE: int(0, 1_000_000, 600),
  MAX_RUNNING_JOBS_PER_KEY: int(1, 1_000_000, 32),
  MAX_RUNNING_JOBS_PER_UPSTREAM: int(1, 1_000_000, 64),
  MAX_QUEUED_JOBS_PER_KEY: int(0, 1_000_000, 100),
  STREAM_TOKEN_TTL_MS: int(1000, 7 * 24 * 3_600_000, 15 * 60_000),
  GATEWAY_CONFIG: z.string().optional(),
  JOB_DEFAULT_TIMEOUT_MS: int(1, 2 ** 31 - 1, 10 * 60_000),
  JOB_MAX_TIMEOUT_MS: int(1, 2 ** 31 - 1, 6 * 60 * 60_000),
  JOB_DEFAULT_IDLE_TIMEOUT_MS: int(1, 2 ** 31 - 1, 5 * 60_000),
  JOB_RETENTION_MS: int(1000, 2 ** 31 - 1, 60 * 60_000),
  MAX_JOBS: int(1, 10_000_000, 10_000),
  MAX_EVENTS_PER_JOB: int(2, 1_000_000, 1000),
  SSE_RETRY_MS: int(1, 3_600_000, 2000),
  SSE_HEARTBEAT_MS: int(10, 15_000, 15_000),
  // Below 64 KiB one burst of frames written in a single tick could cut off a client that reads.
  SSE_MAX_BACKLOG_BYTES: int(64 * 1024, 1024 ** 3, 1024 * 1024),
  SSE_MAX_STREAM_AGE_MS: int(1000, 2 ** 31 - 1, 30 * 60_000),
  UPSTREAM_CONNECT_TIMEOUT_MS: int(100, 600_000, 10_000),
  READINESS_UPSTREAMS: z.enum(['any', 'all', 'none']).default('any'),
  SHUTDOWN_GRACE_MS: int(100, 600_000, 10_000),
});

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const stringMap = z.record(z.string(), z.string());

// Entries keep unknown keys (disabled, timeout, autoApprove, ...) that other MCP clients use.
const stdioEntry = z.looseObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: stringMap.default({}),
  cwd: z.string().min(1).optional(),
});
const urlEntry = z.looseObject({
  type: z.enum(['http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
  // fetch refuses URLs with user:password, and error messages would quote them: use headers.
  url: z
    .url({ protocol: /^https?$/ })
    .refine(
      (url) => !/^[a-z]+:\/\/[^/?#]*@/i.test(url),
      'must not contain credentials; use headers',
    ),
  headers: stringMap.default({}),
});
const callSettings = z.object({
  tasks: z.enum(['auto', 'always', 'never']).optional(),
  isolation: z.enum(['shared', 'session-per-job']).optional(),
  protocol: z.enum(['auto', '2025-11-25', '2026-07-28']).optional(),
});

/** The entry's call settings that it names (unknown keys of the entry are ignored). */
function parseCallSettings(entry: unknown, where: string): UpstreamCallSettings {
  const { tasks, isolation, protocol } = entry as Record<string, unknown>;
  const parsed = callSettings.safeParse({ tasks, isolation, protocol });
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, where));
  return Object.fromEntries(
    Object.entries(parsed.data).filter(([, value]) => value !== undefined),
  ) as UpstreamCallSettings;
}

const fileSchema = z.looseObject({
  mcpServers: z.record(z.string(), z.looseObject({ disabled: z.boolean().optional() })),
});

/** Expands `${VAR}` and `${VAR:-default}` in every string of a parsed JSON value. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, where = '$'): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_m, name: string, fallback?: string) => {
        const found = env[name];
        if (found !== undefined && found !== '') return found;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(`${where}: environment variable ${name} is not set`);
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, `${where}.${k}`)]),
    );
  }
  return value;
}

function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.length ? `${prefix}.${issue.path.join('.')}` : prefix;
      return `${at}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses an mcpServers document (already JSON-parsed) into upstream configs. */
export function parseUpstreams(
  document: unknown,
  env: NodeJS.ProcessEnv,
  source: string,
): UpstreamConfig[] {
  const file = fileSchema.safeParse(document);
  if (!file.success) {
    throw new ConfigError(`${source}: ${describeIssues(file.error, 'mcpServers file')}`);
  }
  const upstreams: UpstreamConfig[] = [];
  for (const [name, raw] of Object.entries(file.data.mcpServers)) {
    if (raw.disabled === true) continue;
    const where = `mcpServers.${name}`;
    if (!SERVER_NAME.test(name)) {
      throw new ConfigError(
        `${source}: ${where}: server names are 1-64 letters, digits, '.', '_' or '-'`,
      );
    }
    const expanded = expandEnv(raw, env, `${source}: ${where}`);
    const settings = parseCallSettings(expanded, `${source}: ${where}`);
    const hasUrl = typeof (expanded as { url?: unknown }).url === 'string';
    const type = (expanded as { type?: unknown }).type;
    if (type === 'stdio' || (!hasUrl && type === undefined)) {
      const entry = stdioEntry.safeParse(expanded);
      if (!entry.success) throw new ConfigError(`${source}: ${describeIssues(entry.error, where)}`);
      const { command, args, env: childEnv, cwd } = entry.data;
      upstreams.push({ name, transport: 'stdio', command, args, env: childEnv, cwd, ...settings });
      continue;
    }
    const entry = urlEntry.safeParse(expanded);
    if (!entry.success) throw new ConfigError(`${source}: ${describeIssues(entry.error, where)}`);
    const transport = entry.data.type === 'sse' ? 'sse' : 'streamable-http';
    upstreams.push({
      name,
      transport,
      url: entry.data.url,
      headers: entry.data.headers,
      ...settings,
    });
  }
  return upstreams;
}

function readUpstreamFile(file: string, env: NodeJS.ProcessEnv): UpstreamConfig[] {
  return parseUpstreams(readJsonFile('GATEWAY_CONFIG', file), env, file);
}

/** The bundled demo upstream, run with the same Node.js (from source under tsx in development). */
export function demoUpstream(): UpstreamConfig {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const script = path.join(path.dirname(here), 'demo', fromSource ? 'server.ts' : 'server.js');
  return {
    name: 'demo',
    transport: 'stdio',
    command: process.execPath,
    args: fromSource ? ['--import', 'tsx', script] : [script],
    env: {},
    cwd: path.resolve(path.dirname(here), '..'),
  };
}

/** `CORS_ORIGINS`: comma-separated origins such as `https://app.example.com:8443`. */
function parseCorsOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    // Browsers send the origin serialised exactly so: scheme, host, non-default port, nothing else.
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `CORS_ORIGINS: '${origin}' is not an origin like https://app.example.com (scheme, host and port only, lowercase, no path; '*' is not allowed)`,
      );
    }
  }
  return [...new Set(origins)];
}

/** Reads `--config PATH` from command-line arguments, if present. */
export function configPathFromArgs(argv: readonly string[]): string | undefined {
  const index = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (index === -1) return undefined;
  const arg = argv[index]!;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[index + 1];
  if (!value) throw new ConfigError('--config needs a path');
  return value;
}

/**
 * Builds the gateway's configuration from the environment (and `--config`), or throws a
 * ConfigError that names the bad setting.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = [],
): Config {
  const parsed = settingsSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  const s = parsed.data;
  if (s.JOB_DEFAULT_TIMEOUT_MS > s.JOB_MAX_TIMEOUT_MS) {
    throw new ConfigError('JOB_DEFAULT_TIMEOUT_MS: must not exceed JOB_MAX_TIMEOUT_MS');
  }
  if (s.LEASE_RENEW_MS * 2 > s.LEASE_TTL_MS) {
    throw new ConfigError('LEASE_RENEW_MS: must be at most half of LEASE_TTL_MS');
  }
  const apiKeys = loadApiKeys(s.API_KEYS, s.API_KEYS_FILE, env);
  checkOpenMode({
    host: s.HOST,
    keys: apiKeys.length,
    allowUnauthenticated: s.ALLOW_UNAUTHENTICATED,
  });
  const corsOrigins = parseCorsOrigins(s.CORS_ORIGINS);
  const file = configPathFromArgs(argv) ?? s.GATEWAY_CONFIG;
  const upstreams = file ? readUpstreamFile(file, env) : [demoUpstream()];
  const config: Config = {
    port: s.PORT,
    host: s.HOST,
    logLevel: s.LOG_LEVEL,
    store: s.STORE,
    redisUrl: s.REDIS_URL,
    redis: {
      keyPrefix: s.REDIS_KEY_PREFIX,
      leaseTtlMs: s.LEASE_TTL_MS,
      leaseRenewMs: s.LEASE_RENEW_MS,
    },
    apiKeys,
    allowUnauthenticated: s.ALLOW_UNAUTHENTICATED,
    corsOrigins,
    limits: {
      jobsPerMinute: s.RATE_LIMIT_JOBS_PER_MINUTE,
      maxRunningPerKey: s.MAX_RUNNING_JOBS_PER_KEY,
      maxRunningPerUpstream: s.MAX_RUNNING_JOBS_PER_UPSTREAM,
      maxQueuedPerKey: s.MAX_QUEUED_JOBS_PER_KEY,
    },
    streamTokenTtlMs: s.STREAM_TOKEN_TTL_MS,
    upstreams,
    upstreamSource: file ?? 'demo',
    jobs: {
      defaultTimeoutMs: s.JOB_DEFAULT_TIMEOUT_MS,
      maxTimeoutMs: s.JOB_MAX_TIMEOUT_MS,
      defaultIdleTimeoutMs: s.JOB_DEFAULT_IDLE_TIMEOUT_MS,
      retentionMs: s.JOB_RETENTION_MS,
      maxJobs: s.MAX_JOBS,
      maxEventsPerJob: s.MAX_EVENTS_PER_JOB,
    },
    sse: {
      retryMs: s.SSE_RETRY_MS,
      heartbeatMs: s.SSE_HEARTBEAT_MS,
      maxBacklogBytes: s.SSE_MAX_BACKLOG_BYTES,
      maxStreamAgeMs: s.SSE_MAX_STREAM_AGE_MS,
    },
    upstream: {
      connectTimeoutMs: s.UPSTREAM_CONNECT_TIMEOUT_MS,
      readiness: s.READINESS_UPSTREAMS,
    },
    shutdownGraceMs: s.SHUTDOWN_GRACE_MS,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
