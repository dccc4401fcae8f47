import { z } from 'zod';
import { ConfigError } from '../errors.js';

/** One environment variable: its name, and the schema that checks, defaults and converts it. */
export interface Setting<T> {
  readonly env: string;
  readonly schema: z.ZodType<T>;
}

/** A tree of settings in the shape of the configuration it becomes. */
export interface SettingTree {
  readonly [key: string]: Setting<unknown> | SettingTree;
}

/** What a tree of settings reads to: the same shape, each setting replaced by its value. */
export type SettingValues<S> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : SettingValues<S[K]>;
};

function setting<S extends z.ZodType>(env: string, schema: S): Setting<z.output<S>> {
  return { env, schema: schema as z.ZodType<z.output<S>> };
}

const int = (env: string, min: number, max: number, fallback: number) =>
  setting(env, z.coerce.number().int().min(min).max(max).default(fallback));

/**
 * Every setting read from the environment, nested as `Config` nests them: each variable is named
 * once, here, next to its bounds and default.
 */
export const SETTINGS = {
  port: int('PORT', 0, 65535, 8080),
  host: setting('HOST', z.string().min(1).default('127.0.0.1')),
  logLevel: setting(
    'LOG_LEVEL',
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  store: setting('STORE', z.enum(['memory', 'redis']).default('memory')),
  redisUrl: setting(
    'REDIS_URL',
    z
      .string()
      .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
      .default('redis://127.0.0.1:6379'),
  ),
  /** Settings of the Redis store (STORE=redis); unused by the memory store. */
  redis: {
    /** Put before every key the gateway writes, so several gateways (or tests) share one Redis. */
    keyPrefix: setting(
      'REDIS_KEY_PREFIX',
      z
        .string()
        .regex(
          /^[A-Za-z0-9_.:-]{0,100}$/,
          "must be at most 100 letters, digits, '_', '.', ':' or '-'",
        )
        .default('mpg:'),
    ),
    /**
     * A replica that has not renewed its lease for this long is presumed dead: another replica
     * fails its running jobs with GATEWAY_INSTANCE_LOST (at most about TTL + renew after its death).
     */
    leaseTtlMs: int('LEASE_TTL_MS', 300, 3_600_000, 15_000),
    /** How often each replica renews its lease and looks for dead replicas. */
    leaseRenewMs: int('LEASE_RENEW_MS', 100, 1_800_000, 5000),
  },
  /** Whether running open (no API keys) on a non-loopback address was asked for. */
  allowUnauthenticated: setting(
    'ALLOW_UNAUTHENTICATED',
    z
      .enum(['true', 'false'], 'must be true or false')
      .default('false')
      .transform((v) => v === 'true'),
  ),
  /** Abuse limits. Per process: replicas on one Redis each enforce their own. */
  limits: {
    /** Jobs one key (or, running open, one client address) may start per minute; 0: no limit. */
    jobsPerMinute: int('RATE_LIMIT_JOBS_PER_MINUTE', 0, 1_000_000, 600),
    /** Jobs of one key running at once; more wait as `queued`. */
    maxRunningPerKey: int('MAX_RUNNING_JOBS_PER_KEY', 1, 1_000_000, 32),
    /** Jobs on one upstream running at once, whoever started them; more wait as `queued`. */
    maxRunningPerUpstream: int('MAX_RUNNING_JOBS_PER_UPSTREAM', 1, 1_000_000, 64),
    /** Jobs of one key waiting as `queued`; more are refused with 429 TOO_MANY_QUEUED_JOBS. */
    maxQueuedPerKey: int('MAX_QUEUED_JOBS_PER_KEY', 0, 1_000_000, 100),
  },
  /** How long the stream token in a job's `links.events` stays valid (API keys on). */
  streamTokenTtlMs: int('STREAM_TOKEN_TTL_MS', 1000, 7 * 24 * 3_600_000, 15 * 60_000),
  jobs: {
    /** Hard deadline used when a job names none. */
    defaultTimeoutMs: int('JOB_DEFAULT_TIMEOUT_MS', 1, 2 ** 31 - 1, 10 * 60_000),
    /** The largest `timeoutMs` a client may ask for. */
    maxTimeoutMs: int('JOB_MAX_TIMEOUT_MS', 1, 2 ** 31 - 1, 6 * 60 * 60_000),
    /** Idle deadline (restarted by each progress notification) used when a job names none. */
    defaultIdleTimeoutMs: int('JOB_DEFAULT_IDLE_TIMEOUT_MS', 1, 2 ** 31 - 1, 5 * 60_000),
    /** How long a finished job and its events are kept. */
    retentionMs: int('JOB_RETENTION_MS', 1000, 2 ** 31 - 1, 60 * 60_000),
    /** How many jobs the memory store holds at most (finished ones are evicted first). */
    maxJobs: int('MAX_JOBS', 1, 10_000_000, 10_000),
    /** How many events one job's log retains at most. */
    maxEventsPerJob: int('MAX_EVENTS_PER_JOB', 2, 1_000_000, 1000),
    /** How long an upstream's input request waits for an answer before the gateway declines it. */
    inputTimeoutMs: int('INPUT_TIMEOUT_MS', 1000, 2 ** 31 - 1, 10 * 60_000),
  },
  sse: {
    /** The `retry:` hint sent first on every stream. */
    retryMs: int('SSE_RETRY_MS', 1, 3_600_000, 2000),
    /** A comment line is sent after this long without any other write. */
    heartbeatMs: int('SSE_HEARTBEAT_MS', 10, 15_000, 15_000),
    /**
     * A subscriber whose unsent bytes pass this is disconnected. Below 64 KiB one burst of
     * frames written in a single tick could cut off a client that reads.
     */
    maxBacklogBytes: int('SSE_MAX_BACKLOG_BYTES', 64 * 1024, 1024 ** 3, 1024 * 1024),
    /** Streams are ended after this long, with a `retry:` hint; clients resume losslessly. */
    maxStreamAgeMs: int('SSE_MAX_STREAM_AGE_MS', 1000, 2 ** 31 - 1, 30 * 60_000),
  },
  upstream: {
    /** How long connecting to an upstream (and listing its tools) may take. */
    connectTimeoutMs: int('UPSTREAM_CONNECT_TIMEOUT_MS', 100, 600_000, 10_000),
    /**
     * Which upstreams /readyz needs connected: `any` one of them (default: a gateway none of
     * whose upstreams answers can run nothing), `all` of them, or `none` (the store alone).
     */
    readiness: setting('READINESS_UPSTREAMS', z.enum(['any', 'all', 'none']).default('any')),
  },
  /** How long shutdown may take before the process exits anyway. */
  shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 100, 600_000, 10_000),
} satisfies SettingTree;

/** Variables that name where other settings come from; `loadConfig` reads and checks those. */
export const SOURCES = {
  /** Comma-separated `name:secret` pairs. */
  apiKeys: setting('API_KEYS', z.string().default('')),
  /** A JSON keys file, with per-key allow-lists. */
  apiKeysFile: setting('API_KEYS_FILE', z.string().optional()),
  /** Comma-separated browser origins. */
  corsOrigins: setting('CORS_ORIGINS', z.string().default('')),
  /** The mcpServers file (`--config` wins over it). */
  configFile: setting('GATEWAY_CONFIG', z.string().optional()),
} satisfies SettingTree;

function isSetting(node: Setting<unknown> | SettingTree): node is Setting<unknown> {
  return typeof node.env === 'string' && 'schema' in node;
}

function settingsOf(tree: SettingTree): Setting<unknown>[] {
  return Object.values(tree).flatMap((node) => (isSetting(node) ? [node] : settingsOf(node)));
}

function valuesOf<S extends SettingTree>(
  tree: S,
  values: Record<string, unknown>,
): SettingValues<S> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, node]) => [
      key,
      isSetting(node) ? values[node.env] : valuesOf(node, values),
    ]),
  ) as SettingValues<S>;
}

/** The name of every environment variable the gateway reads, in schema order. */
export const ENV_NAMES: readonly string[] = [...settingsOf(SETTINGS), ...settingsOf(SOURCES)].map(
  (s) => s.env,
);

/** One flat schema over every variable, so every bad setting is reported at once, by name. */
const envSchema = z.object(
  Object.fromEntries(
    [...settingsOf(SETTINGS), ...settingsOf(SOURCES)].map((s) => [s.env, s.schema]),
  ),
);

/** What the environment holds, checked: the settings in their nested shape, and the sources. */
export interface EnvValues {
  settings: SettingValues<typeof SETTINGS>;
  sources: SettingValues<typeof SOURCES>;
}

/** Reads every variable (an empty one counts as unset), or throws a ConfigError naming each bad one. */
export function readEnv(env: NodeJS.ProcessEnv): EnvValues {
  const parsed = envSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return { settings: valuesOf(SETTINGS, parsed.data), sources: valuesOf(SOURCES, parsed.data) };
}
