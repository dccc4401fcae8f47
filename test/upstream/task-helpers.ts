/** Shared by the upstream task and input-request tests: upstreams, servers, recording handlers. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import type { UpstreamCallSettings, UpstreamConfig } from '../../src/config/mcp-servers.js';
import type {
  CallHandlers,
  InputAnswer,
  InputRequest,
  LogMessage,
  ProgressUpdate,
  TaskUpdate,
} from '../../src/upstream/call-handlers.js';
import { Upstream } from '../../src/upstream/upstream.js';
import { ROOT } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

export const EVERYTHING = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** The 2025-11-25 task fixture over stdio. */
export function taskFixtureStdio(settings: UpstreamCallSettings = {}): UpstreamConfig {
  return {
    name: 'tasks',
    transport: 'stdio',
    command: process.execPath,
    args: ['--import', 'tsx', path.join(ROOT, 'test/fixtures/task-stdio-server.ts')],
    env: {},
    cwd: ROOT,
    ...settings,
  };
}

export function httpUpstream(url: string, settings: UpstreamCallSettings = {}): UpstreamConfig {
  return { name: 'web', transport: 'streamable-http', url, headers: {}, ...settings };
}

export function everythingStdioConfig(settings: UpstreamCallSettings = {}): UpstreamConfig {
  return {
    name: 'everything',
    transport: 'stdio',
    command: process.execPath,
    args: [EVERYTHING, 'stdio'],
    env: {},
    cwd: ROOT,
    ...settings,
  };
}

/** An Upstream closed after the test. */
export function openUpstream(t: TestContext, config: UpstreamConfig): Upstream {
  const upstream = new Upstream(config, {
    connectTimeoutMs: 20_000,
    logger: pino({ level: 'silent' }),
    clientVersion: 'test',
  });
  t.after(() => upstream.close());
  return upstream;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** server-everything in its Streamable HTTP mode on a free port; stopped after the test. */
export async function startEverythingHttp(t: TestContext): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  await waitUntil(() => stderr.includes('listening on port'), 'server-everything to listen');
  return `http://127.0.0.1:${port}/mcp`;
}

/** Handlers that record everything; `answer` answers input requests (default: decline). */
export function recorder(
  answer: (
    request: InputRequest,
    signal: AbortSignal,
  ) => Promise<InputAnswer> | InputAnswer = () => ({
    action: 'decline',
  }),
) {
  const seen = {
    progress: [] as ProgressUpdate[],
    logs: [] as LogMessage[],
    tasks: [] as TaskUpdate[],
    inputs: [] as InputRequest[],
    signals: [] as AbortSignal[],
  };
  const handlers: CallHandlers = {
    onProgress: (u) => seen.progress.push(u),
    onLog: (m) => seen.logs.push(m),
    onTask: (u) => seen.tasks.push(u),
    onInputRequest: async (request, signal) => {
      seen.inputs.push(request);
      seen.signals.push(signal);
      return answer(request, signal);
    },
  };
  return { seen, handlers };
}

let tokens = 0;
/** A progress token unique in this process. */
export const token = (label = 'job') => `${label}-${process.pid}-${++tokens}`;

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');
}

/** The status texts a call saw, each change once (a status change may keep the text). */
export const statusTexts = (tasks: TaskUpdate[]) =>
  tasks.map((t) => t.statusMessage).filter((m, i, all) => i === 0 || m !== all[i - 1]);
