import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readJsonFile } from '../config/json-file.js';

/**
 * An API key: `name` identifies the caller (jobs belong to it), `secret` is the bearer token.
 * `servers` and `tools` (keys file only) narrow what the key may use; absent means everything.
 */
export interface ApiKey {
  name: string;
  secret: string;
  /** The upstreams this key may use; absent: all of them. */
  servers?: readonly string[];
  /** Per upstream, the tools this key may call there; an upstream not named here: all its tools. */
  tools?: Readonly<Record<string, readonly string[]>>;
}

const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MIN_SECRET = 16;

/** `API_KEYS`: comma-separated `name:secret` pairs, each key allowed everything. */
export function parseApiKeys(value: string): ApiKey[] {
  if (value.trim() === '') return [];
  return value.split(',').map((pair, index) => {
    const colon = pair.indexOf(':');
    const name = pair.slice(0, colon).trim();
    const secret = pair.slice(colon + 1).trim();
    if (colon < 1 || !KEY_NAME.test(name) || secret.length < MIN_SECRET) {
      throw new ConfigError(
        `API_KEYS: entry ${index + 1} must be name:secret with a name of letters, digits, '.', '_' or '-' and a secret of at least ${MIN_SECRET} characters`,
      );
    }
    return { name, secret };
  });
}

// Strict objects: a misspelt `servers` must not silently grant every upstream.
const keyEntry = z
  .strictObject({
    name: z.string().regex(KEY_NAME, "must be 1-64 letters, digits, '.', '_' or '-'"),
    secret: z.string().min(MIN_SECRET).optional(),
    secretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    servers: z.array(z.string().regex(SERVER_NAME, 'must be an upstream name')).optional(),
    tools: z
      .record(
        z.string().regex(SERVER_NAME, 'must be an upstream name'),
        z.array(z.string().min(1).max(256)),
      )
      .optional(),
  })
  .refine((k) => (k.secret === undefined) !== (k.secretEnv === undefined), {
    message: 'needs exactly one of secret and secretEnv',
  });
const keysFile = z.strictObject({ keys: z.array(keyEntry).min(1, 'must list at least one key') });

/** Where in the file, never what: issues must not quote a secret. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${['keys file', ...issue.path].join('.')}: ${issue.message}`)
    .join('; ');
}

/**
 * Parses an `API_KEYS_FILE` document (already JSON-parsed):
 * `{"keys": [{"name", "secret" | "secretEnv", "servers"?, "tools"?}]}`.
 */
export function parseKeysFile(document: unknown, env: NodeJS.ProcessEnv): ApiKey[] {
  const parsed = keysFile.safeParse(document);
  if (!parsed.success) throw new ConfigError(`API_KEYS_FILE: ${describeIssues(parsed.error)}`);
  return parsed.data.keys.map((entry, index) => {
    const where = `API_KEYS_FILE: keys.${index} (${entry.name})`;
    let secret = entry.secret;
    if (entry.secretEnv !== undefined) {
      secret = env[entry.secretEnv];
      if (secret === undefined || secret.length < MIN_SECRET) {
        throw new ConfigError(
          `${where}: environment variable ${entry.secretEnv} must hold a secret of at least ${MIN_SECRET} characters`,
        );
      }
    }
    const key: ApiKey = { name: entry.name, secret: secret! };
    if (entry.servers) key.servers = [...new Set(entry.servers)];
    if (entry.tools) {
      for (const server of Object.keys(entry.tools)) {
        if (key.servers && !key.servers.includes(server)) {
          throw new ConfigError(`${where}: tools names '${server}', which servers does not allow`);
        }
      }
      key.tools = entry.tools;
    }
    return key;
  });
}

function readKeysFile(file: string, env: NodeJS.ProcessEnv): ApiKey[] {
  return parseKeysFile(readJsonFile('API_KEYS_FILE', file), env);
}

/**
 * Every API key from `API_KEYS` and the optional keys file. Names and secrets must be unique
 * across both: a request must authenticate as exactly one key.
 */
export function loadApiKeys(
  apiKeys: string,
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): ApiKey[] {
  const keys = [...parseApiKeys(apiKeys), ...(file ? readKeysFile(file, env) : [])];
  const names = new Set<string>();
  const secrets = new Set<string>();
  for (const key of keys) {
    if (names.has(key.name)) {
      throw new ConfigError(
        `API_KEYS, API_KEYS_FILE: the key name '${key.name}' is used more than once`,
      );
    }
    if (secrets.has(key.secret)) {
      throw new ConfigError(
        `API_KEYS, API_KEYS_FILE: the key '${key.name}' has the same secret as another key`,
      );
    }
    names.add(key.name);
    secrets.add(key.secret);
  }
  return keys;
}
