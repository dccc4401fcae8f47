import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { readJsonFile } from './json-file.js';

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

/** Reads the mcpServers file named by `--config` or `GATEWAY_CONFIG`. */
export function readUpstreamFile(file: string, env: NodeJS.ProcessEnv): UpstreamConfig[] {
  return parseUpstreams(readJsonFile('GATEWAY_CONFIG', file), env, file);
}
