/**
 * Property-based fuzzing of configuration: mcpServers documents (parseUpstreams), API keys files
 * (parseKeysFile) and whole environments with files (loadConfig). Each either gives a valid
 * configuration or throws a ConfigError, never anything else, and no error message quotes a
 * secret. FUZZ_RUNS scales the case counts (FUZZ_SEED picks other inputs), which are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { parseKeysFile, type ApiKey } from '../../src/access/api-keys.js';
import {
  loadConfig,
  parseUpstreams,
  type Config,
  type UpstreamConfig,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
/** FUZZ_SEED replaces the fixed seeds, for a fresh exploration. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Secrets carry this prefix, so a message that quotes one is easy to spot. */
const SECRET = 'sekret-';

const tally: Record<string, Record<string, number>> = { upstreams: {}, keys: {}, env: {} };
const count = (kind: string, key: string) => (tally[kind]![key] = (tally[kind]![key] ?? 0) + 1);

const dir = mkdtempSync(path.join(tmpdir(), 'gw-config-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `fn`; a ConfigError is an answer (returned), anything else thrown fails the property. */
function outcome<T>(fn: () => T): T | ConfigError {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw new Error(`not a ConfigError: ${String(error)}`, { cause: error });
  }
}

function quotesNoSecret(error: ConfigError, secrets: readonly string[]): void {
  for (const secret of secrets) {
    if (secret.length >= 8) assert.ok(!error.message.includes(secret), error.message);
  }
}

// ---- mcpServers documents ---------------------------------------------------------------------

const varName = fc.constantFrom('TOKEN', 'HOST_PORT', 'EMPTY', 'UNSET', 'a_b', '1BAD');
const template = fc.oneof(
  fc.string({ maxLength: 12 }),
  varName.map((v) => `\${${v}}`),
  fc.tuple(varName, fc.string({ maxLength: 6 })).map(([v, d]) => `\${${v}:-${d}}`),
  fc.constantFrom('${', '${}', '$TOKEN', '${TOKEN', '}'),
);
const anyValue = fc.jsonValue({ maxDepth: 2 });
const urlArb = fc.oneof(
  fc.constantFrom(
    'http://127.0.0.1:1/mcp',
    'https://mcp.example.com/mcp?x=1',
    `https://user:${SECRET}pw@mcp.example.com/mcp`,
    'ftp://x/y',
    'http://',
    'not a url',
    'http://[::1]:8080/sse',
    'HTTP://EXAMPLE.COM',
  ),
  template.map((t) => `http://127.0.0.1:8080/${t}`),
  template,
  anyValue,
);
const noiseEntry = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom('stdio', 'http', 'streamable-http', 'streamableHttp', 'sse', 'ws', ''),
      anyValue,
    ),
    command: fc.oneof(template, anyValue),
    args: fc.oneof(fc.array(template, { maxLength: 3 }), anyValue),
    env: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), template, { maxKeys: 3 }), anyValue),
    cwd: fc.oneof(template, anyValue),
    url: urlArb,
    headers: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 8 }), template, { maxKeys: 3 }),
      anyValue,
    ),
    disabled: fc.oneof(fc.boolean(), anyValue),
    timeout: anyValue,
    autoApprove: anyValue,
  },
  { requiredKeys: [] },
);
/** Mostly plausible entries (so that valid configurations come out), some noise. */
const entryArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.constant('stdio'),
        command: fc.oneof(fc.constantFrom('node', 'npx', '${TOKEN}', '${UNSET:-node}'), template),
        args: fc.array(template, { maxLength: 3 }),
        env: fc.dictionary(fc.constantFrom('API_TOKEN', 'LEVEL', 'X'), template, { maxKeys: 2 }),
        cwd: fc.constantFrom('/srv', '${HOST_PORT}'),
        disabled: fc.boolean(),
        timeout: anyValue,
      },
      { requiredKeys: ['command'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        type: fc.constantFrom('http', 'streamable-http', 'streamableHttp', 'sse'),
        url: fc.oneof(
          {
            weight: 3,
            arbitrary: fc.constantFrom(
              'http://127.0.0.1:1/mcp',
              'https://m.example/mcp?token=${TOKEN}',
              'http://${HOST_PORT}/sse',
            ),
          },
          { weight: 1, arbitrary: urlArb },
        ),
        headers: fc.dictionary(fc.constantFrom('Authorization', 'X-Api-Key'), template, {
          maxKeys: 2,
        }),
        autoApprove: anyValue,
      },
      { requiredKeys: ['url'] },
    ),
  },
  { weight: 2, arbitrary: noiseEntry },
);
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,8}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('-bad', '', '__proto__', 'constructor', 'a'.repeat(65), 'a b'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const documentArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ mcpServers: fc.dictionary(nameArb, entryArb, { maxKeys: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ mcpServers: anyValue }) },
  { weight: 1, arbitrary: anyValue },
);
const envArb = fc.record(
  {
    TOKEN: fc.string({ maxLength: 10 }).map((s) => `${SECRET}${s}`),
    HOST_PORT: fc.constantFrom('127.0.0.1:9', 'x', ''),
    EMPTY: fc.constant(''),
  },
  { requiredKeys: ['TOKEN'] },
);

function validUpstream(u: UpstreamConfig): void {
  assert.match(u.name, SERVER_NAME);
  if (u.transport === 'stdio') {
    assert.ok(typeof u.command === 'string' && u.command.length > 0);
    assert.ok(u.args.every((a) => typeof a === 'string'));
    assert.ok(Object.values(u.env).every((v) => typeof v === 'string'));
    return;
  }
  assert.ok(u.transport === 'streamable-http' || u.transport === 'sse');
  const url = new URL(u.url);
  assert.ok(url.protocol === 'http:' || url.protocol === 'https:', u.url);
  assert.equal(url.username + url.password, '', 'no credentials in a URL');
  assert.ok(Object.values(u.headers).every((v) => typeof v === 'string'));
}

let upstreamCases = 0;
test('mcpServers documents: valid upstreams or a ConfigError', (t) => {
  fc.assert(
    fc.property(documentArb, envArb, (document, env) => {
      upstreamCases++;
      const result = outcome(() => parseUpstreams(document, env, 'fuzz.json'));
      if (result instanceof ConfigError) {
        assert.match(result.message, /^fuzz\.json: /);
        quotesNoSecret(result, [env.TOKEN ?? '', `${SECRET}pw`]);
        count(
          'upstreams',
          result.message.includes('must not contain credentials') ? 'credentials' : 'error',
        );
        return;
      }
      count('upstreams', result.length > 0 ? 'valid' : 'empty');
      result.forEach(validUpstream);
    }),
    { numRuns: RUNS * 2, seed: SEED ?? 0xc0f1, includeErrorInReport: true },
  );
  t.diagnostic(`mcpServers cases: ${upstreamCases} ${JSON.stringify(tally.upstreams)}`);
});

// ---- API keys files ---------------------------------------------------------------------------

const secretArb = fc.oneof(
  fc.string({ minLength: 9, maxLength: 30 }).map((s) => `${SECRET}${s}`),
  fc.constantFrom('short', '', `${SECRET}x`),
  anyValue,
);
const noiseKey = fc.record(
  {
    name: fc.oneof(
      fc.constantFrom('alice', 'ci', 'a b', '', 'x'.repeat(65)),
      fc.string({ maxLength: 8 }),
    ),
    secret: secretArb,
    secretEnv: fc.oneof(fc.constantFrom('CI_KEY', 'UNSET_KEY', 'bad name', ''), anyValue),
    servers: fc.oneof(fc.array(nameArb, { maxLength: 3 }), anyValue),
    tools: fc.oneof(
      fc.dictionary(nameArb, fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), {
        maxKeys: 2,
      }),
      anyValue,
    ),
    server: anyValue,
  },
  { requiredKeys: [] },
);
const plausibleKey = fc
  .record({
    name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
    credential: fc.oneof(
      fc.string({ minLength: 9, maxLength: 20 }).map((s) => ({ secret: `${SECRET}${s}` })),
      fc.constant({ secretEnv: 'CI_KEY' }),
    ),
    servers: fc.option(fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/), { maxLength: 3 }), {
      nil: undefined,
    }),
    tools: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 3 }), {
      nil: undefined,
    }),
  })
  .map(({ name, credential, servers, tools }) => ({
    name,
    ...credential,
    ...(servers ? { servers } : {}),
    ...(tools && servers?.[0] ? { tools: { [servers[0]]: tools } } : {}),
  }));
const keyEntryArb = fc.oneof(
  { weight: 4, arbitrary: plausibleKey },
  { weight: 1, arbitrary: noiseKey },
);
const keysDocArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ keys: fc.array(keyEntryArb, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: anyValue },
);

/** Every string of a document, to check that no secret among them is quoted. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function validKeys(keys: ApiKey[]): void {
  for (const key of keys) {
    assert.match(key.name, /^[A-Za-z0-9_.-]{1,64}$/);
    assert.ok(typeof key.secret === 'string' && key.secret.length >= 16);
    if (key.servers) assert.ok(key.servers.every((s) => SERVER_NAME.test(s)));
    for (const [server, tools] of Object.entries(key.tools ?? {})) {
      assert.match(server, SERVER_NAME);
      assert.ok(!key.servers || key.servers.includes(server));
      assert.ok(tools.every((tool) => typeof tool === 'string' && tool.length > 0));
    }
  }
}

let keysCases = 0;
test('API keys files: valid keys or a ConfigError that quotes no secret', (t) => {
  const env = { CI_KEY: `${SECRET}from-the-environment` };
  fc.assert(
    fc.property(keysDocArb, (document) => {
      keysCases++;
      const result = outcome(() => parseKeysFile(document, env));
      if (result instanceof ConfigError) {
        count('keys', 'ConfigError');
        assert.match(result.message, /^API_KEYS_FILE: /);
        quotesNoSecret(result, [
          ...strings(document).filter((s) => s.startsWith(SECRET)),
          env.CI_KEY,
        ]);
        return;
      }
      count('keys', result.length > 0 ? 'valid' : 'empty');
      validKeys(result);
    }),
    { numRuns: RUNS, seed: SEED ?? 0xc0f2, includeErrorInReport: true },
  );
  t.diagnostic(`keys file cases: ${keysCases} ${JSON.stringify(tally.keys)}`);
});

// ---- whole environments -----------------------------------------------------------------------

const SETTINGS = [
  'PORT',
  'HOST',
  'LOG_LEVEL',
  'STORE',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'LEASE_TTL_MS',
  'LEASE_RENEW_MS',
  'STREAM_TOKEN_TTL_MS',
  'ALLOW_UNAUTHENTICATED',
  'CORS_ORIGINS',
  'RATE_LIMIT_JOBS_PER_MINUTE',
  'MAX_RUNNING_JOBS_PER_KEY',
  'MAX_RUNNING_JOBS_PER_UPSTREAM',
  'MAX_QUEUED_JOBS_PER_KEY',
  'JOB_DEFAULT_TIMEOUT_MS',
  'JOB_MAX_TIMEOUT_MS',
  'JOB_DEFAULT_IDLE_TIMEOUT_MS',
  'JOB_RETENTION_MS',
  'MAX_JOBS',
  'MAX_EVENTS_PER_JOB',
  'SSE_RETRY_MS',
  'SSE_HEARTBEAT_MS',
  'SSE_MAX_BACKLOG_BYTES',
  'SSE_MAX_STREAM_AGE_MS',
  'UPSTREAM_CONNECT_TIMEOUT_MS',
  'SHUTDOWN_GRACE_MS',
] as const;
/** Plausible values per setting, so that whole configurations come out valid often enough. */
const plausible: Partial<Record<(typeof SETTINGS)[number], string[]>> = {
  PORT: ['0', '8080'],
  HOST: ['127.0.0.1', 'localhost', '::1', '0.0.0.0'],
  LOG_LEVEL: ['info', 'silent'],
  STORE: ['memory'],
  ALLOW_UNAUTHENTICATED: ['true', 'false'],
  CORS_ORIGINS: ['https://app.example.com', 'https://a.example,http://localhost:5173'],
  RATE_LIMIT_JOBS_PER_MINUTE: ['0', '600'],
  MAX_RUNNING_JOBS_PER_KEY: ['1', '32'],
  MAX_RUNNING_JOBS_PER_UPSTREAM: ['1', '64'],
  MAX_QUEUED_JOBS_PER_KEY: ['0', '100'],
  JOB_RETENTION_MS: ['60000'],
  SSE_HEARTBEAT_MS: ['15000'],
};
const settingsArb = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .subarray(Object.keys(plausible) as (typeof SETTINGS)[number][], { maxLength: 5 })
      .chain((names) =>
        fc.tuple(
          ...names.map((n) => fc.constantFrom(...plausible[n]!).map((v) => [n, v] as const)),
        ),
      )
      .map((pairs) => Object.fromEntries(pairs) as Record<string, string>),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom(...SETTINGS),
      fc.constant('').chain(() => settingValue),
      {
        maxKeys: 4,
      },
    ),
  },
);
const settingValue = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '-1',
    '8080',
    '65536',
    '1e3',
    '0x10',
    ' 5 ',
    '1.5',
    'NaN',
    'Infinity',
  ),
  fc.constantFrom('true', 'false', 'yes', '127.0.0.1', '0.0.0.0', '::', 'localhost', 'redis'),
  fc.constantFrom(
    'https://app.example.com',
    'https://a.example,http://localhost:5173',
    '*',
    'info',
  ),
  fc.integer({ min: -10, max: 10_000_000 }).map(String),
  fc.string({ maxLength: 12 }),
);
const fileContent = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constant('{"mcpServers": {"demo": {"command": "node", "args": ["x.js"]}}}'),
  },
  {
    weight: 3,
    arbitrary: fc.constant(
      `{"keys": [{"name": "web", "secret": "${SECRET}0123456789", "servers": ["demo"]}]}`,
    ),
  },
  documentArb.map((d) => JSON.stringify(d)),
  keysDocArb.map((d) => JSON.stringify(d)),
  fc.string({ maxLength: 60 }),
  fc.constant(`{"keys": [{"name": "a", "secret": "${SECRET}in-a-broken-file" oops`),
);
const environmentArb = fc.record({
  settings: settingsArb,
  apiKeys: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 3,
      arbitrary: fc.constantFrom('alice:0123456789abcdef', 'a:0123456789abcdef,b:fedcba9876543210'),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('a:short', 'nocolon', ':x', 'a:0123456789abcdef,a:fedcba9876543210'),
        fc.string({ maxLength: 30 }),
      ),
    },
  ),
  config: fc.option(fileContent, { nil: undefined }),
  keysFile: fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fileContent },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

function validConfig(config: Config): void {
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits));
  assert.ok(Number.isInteger(config.port) && config.port >= 0 && config.port <= 65535);
  assert.ok(config.limits.maxRunningPerKey >= 1 && config.limits.maxRunningPerUpstream >= 1);
  assert.ok(config.limits.maxQueuedPerKey >= 0 && config.limits.jobsPerMinute >= 0);
  assert.ok(config.jobs.defaultTimeoutMs <= config.jobs.maxTimeoutMs);
  assert.ok(config.corsOrigins.every((o) => new URL(o).origin === o));
  validKeys([...config.apiKeys]);
  config.upstreams.forEach(validUpstream);
}

let envCases = 0;
test('environments with files: a valid Config or a ConfigError, nothing else', (t) => {
  fc.assert(
    fc.property(environmentArb, (e) => {
      envCases++;
      const env: Record<string, string> = {
        ...e.settings,
        CI_KEY: `${SECRET}from-the-environment`,
      };
      if (e.apiKeys !== undefined) env.API_KEYS = e.apiKeys;
      if (e.config !== undefined) {
        env.GATEWAY_CONFIG = path.join(dir, `mcp-${envCases}.json`);
        writeFileSync(env.GATEWAY_CONFIG, e.config);
      }
      if (e.keysFile === null) env.API_KEYS_FILE = path.join(dir, 'missing.json');
      else if (e.keysFile !== undefined) {
        env.API_KEYS_FILE = path.join(dir, `keys-${envCases}.json`);
        writeFileSync(env.API_KEYS_FILE, e.keysFile);
      }
      const result = outcome(() => loadConfig(env));
      if (result instanceof ConfigError) {
        const secrets = [e.config ?? '', e.keysFile ?? ''].flatMap((c) =>
          [...c.matchAll(/sekret-[^"\\]*/g)].map((m) => m[0]),
        );
        quotesNoSecret(result, [...secrets, env.CI_KEY!]);
        count('env', 'ConfigError');
        return;
      }
      count('env', 'valid');
      validConfig(result);
    }),
    { numRuns: RUNS, seed: SEED ?? 0xc0f3, includeErrorInReport: true },
  );
  t.diagnostic(`environment cases: ${envCases} ${JSON.stringify(tally.env)}`);
});

test('config fuzz case count', (t) => {
  t.diagnostic(
    `config cases: ${upstreamCases} mcpServers + ${keysCases} keys files + ${envCases} environments = ${upstreamCases + keysCases + envCases}`,
  );
  assert.ok(upstreamCases + keysCases + envCases >= RUNS * 4);
});
