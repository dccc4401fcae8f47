/**
 * The processes a benchmark run starts: the gateway (src/main.ts, or bench/gateway-process.ts
 * when memory is measured), the bare floors and the subscriber swarms. Every one is tracked and
 * killed on the way out, whatever the way out is (normal end, error, signal, `process.exit`).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH = path.join(ROOT, 'bench');
const DIE_WITH_PARENT = path.join(BENCH, 'lib/die-with-parent.ts');

/** Node flags for a TypeScript child that ends when we do. */
export const TS_NODE_ARGS = ['--import', 'tsx', '--import', DIE_WITH_PARENT];

interface Tracked {
  child: ChildProcess;
  /** Whether it leads its own process group (then the whole group is signalled). */
  group: boolean;
}

const tracked = new Set<Tracked>();
const tempDirs = new Set<string>();

function signal(entry: Tracked, sig: NodeJS.Signals): void {
  const { pid } = entry.child;
  if (pid === undefined || entry.child.exitCode !== null || entry.child.signalCode !== null) {
    if (!entry.group) return;
  }
  try {
    if (entry.group && pid !== undefined) process.kill(-pid, sig);
    else entry.child.kill(sig);
  } catch {
    // already gone
  }
}

/** Kills every tracked child (and its group) now; safe to call from an 'exit' handler. */
export function killAll(): void {
  for (const entry of tracked) signal(entry, 'SIGKILL');
  tracked.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

let installed = false;
function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function track(child: ChildProcess, group: boolean): Tracked {
  installExitHandlers();
  const entry = { child, group };
  tracked.add(entry);
  return entry;
}

/** Stops a tracked child: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
async function stop(entry: Tracked, graceMs = 5000): Promise<void> {
  const { child } = entry;
  const exited =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signal(entry, 'SIGTERM');
  const timer = setTimeout(() => signal(entry, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  // Whatever is left of its group (an upstream that ignored its closed stdin) goes too.
  if (entry.group) signal(entry, 'SIGKILL');
  tracked.delete(entry);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Keeps the last lines a child printed, for error messages. */
function tail(stream: NodeJS.ReadableStream | null, lines: string[], max = 40): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > max) lines.shift();
    }
  });
}

/** Memory of a process, in bytes. */
export interface Mem {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** Open SSE streams (the gateway's StreamRegistry size), when known. */
  streams?: number;
}

/** CPU seconds a process has used so far in user and kernel mode, from /proc. */
export function cpuTimes(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: Number.NaN, system: Number.NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the command name; clock ticks.
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
}

/** CPU seconds a process has used so far, from /proc (user + system). */
export function cpuSeconds(pid: number | undefined): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

let tasksetMissing = false;

/**
 * Pins every thread of `pid` to the CPUs in `cpus` (a taskset list such as "0" or "1"), so
 * that on a small machine the server and the client side each get a core instead of competing
 * for both. Returns false (and changes nothing) when taskset is not available.
 */
export function pin(pid: number | undefined, cpus: string): boolean {
  if (pid === undefined || tasksetMissing) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    tasksetMissing = true;
    return false;
  }
}

/** Direct children of `pid`, from /proc. */
export function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Resident set size of `pid` in bytes, from /proc. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface GatewayOptions {
  /**
   * `main`: `node --import tsx src/main.ts`, exactly as deployed. `probe`: bench/gateway-process.ts
   * (the same buildApp and listen) with `--expose-gc`, which reports its memory after a full GC
   * when asked over IPC.
   */
  kind: 'main' | 'probe';
  /** Gateway settings (environment variable names, as in src/config.ts). */
  env?: Record<string, string>;
  /** Pin the gateway and its upstream to these CPUs once ready (see {@link pin}). */
  cpus?: string;
  readyTimeoutMs?: number;
}

export interface GatewayHandle {
  kind: GatewayOptions['kind'];
  port: number;
  url: string;
  pid: number;
  /** The upstream's pid once it runs (the gateway's child). */
  upstreamPid(): number | undefined;
  /** Gateway memory after `gcPasses` full GCs (default 2; probe only: `main` gives RSS alone). */
  mem(gcPasses?: number): Promise<Mem>;
  /** Writes a V8 heap snapshot of the probe gateway to `file` (a diagnostic aid). */
  heapSnapshot(file: string): Promise<string>;
  /** CPU seconds used so far by the gateway (also split user/system) and by its upstream. */
  cpu(): { gateway: number; gatewayUser: number; gatewaySystem: number; upstream: number };
  /** Last lines the gateway printed. */
  output(): string[];
  close(): Promise<void>;
}

/** Admission-control settings that would otherwise throttle the scenarios. */
export const ADMISSION_UNLIMITED: Record<string, string> = {
  RATE_LIMIT_JOBS_PER_MINUTE: '0',
  MAX_RUNNING_JOBS_PER_KEY: '1000000',
  MAX_RUNNING_JOBS_PER_UPSTREAM: '1000000',
  MAX_QUEUED_JOBS_PER_KEY: '1000000',
};

/** Writes the mcpServers file naming the bench upstream as `bench`. */
function writeUpstreamConfig(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-gw-bench-'));
  tempDirs.add(dir);
  const file = path.join(dir, 'mcp-servers.json');
  const config = {
    mcpServers: {
      bench: {
        command: process.execPath,
        args: [...TS_NODE_ARGS, path.join(BENCH, 'upstream-server.ts')],
        cwd: ROOT,
      },
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Starts a gateway with the bench upstream and waits until /readyz says the upstream is up. */
export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const port = await freePort();
  const configFile = writeUpstreamConfig();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_KEYS: '',
    API_KEYS_FILE: '',
    STORE: 'memory',
    LOG_LEVEL: 'warn',
    // The scenarios measure the data path, not admission control: no rate limit, no per-key or
    // per-upstream concurrency limit (with the defaults, 500 concurrent jobs would mostly queue
    // or be refused). Settings a gateway version does not know are ignored.
    ...ADMISSION_UNLIMITED,
    ...options.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    GATEWAY_CONFIG: configFile,
  };
  const script =
    options.kind === 'main'
      ? [path.join(ROOT, 'src/main.ts')]
      : ['--expose-gc', path.join(BENCH, 'gateway-process.ts')];
  // Extra node flags for the gateway only, e.g. BENCH_GATEWAY_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p".
  const extra = (process.env.BENCH_GATEWAY_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...TS_NODE_ARGS, ...extra, ...script], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: options.kind === 'main' ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const entry = track(child, true);
  const lines: string[] = [];
  tail(child.stdout, lines);
  tail(child.stderr, lines);
  let exitedEarly: string | undefined;
  child.once('exit', (code, sig) => {
    exitedEarly = `gateway exited (code ${code}, signal ${sig})`;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, options.readyTimeoutMs ?? 30_000, () => exitedEarly);
  } catch (error) {
    await stop(entry);
    throw new Error(`${(error as Error).message}\n${lines.join('\n')}`);
  }

  let nextId = 0;
  /** Sends `{type, ...payload}` to the probe gateway and resolves with its reply of that type. */
  const ask = <T>(type: string, payload: object, timeoutMs = 20_000): Promise<T> => {
    const id = ++nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway did not answer ${type}`)),
        timeoutMs,
      );
      const onMessage = (message: { type: string; id: number }) => {
        if (message.type !== type || message.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message as T);
      };
      child.on('message', onMessage);
      child.send({ type, id, ...payload });
    });
  };
  const mem = async (gcPasses = 2): Promise<Mem> => {
    if (options.kind === 'main') {
      const rss = rssOf(child.pid);
      const nan = Number.NaN;
      return { heapUsed: nan, heapTotal: nan, rss, external: nan, arrayBuffers: nan };
    }
    return (await ask<{ mem: Mem }>('mem', { gc: gcPasses })).mem;
  };
  const heapSnapshot = async (file: string): Promise<string> => {
    if (options.kind === 'main') throw new Error('heap snapshots need the probe gateway');
    return (await ask<{ file: string }>('heap-snapshot', { file }, 120_000)).file;
  };
  const upstreamPid = () => childPids(child.pid)[0];
  if (options.cpus !== undefined) {
    pin(child.pid, options.cpus);
    pin(upstreamPid(), options.cpus);
  }
  return {
    kind: options.kind,
    port,
    url,
    pid: child.pid!,
    upstreamPid,
    mem,
    heapSnapshot,
    cpu: () => {
      const own = cpuTimes(child.pid);
      return {
        gateway: own.user + own.system,
        gatewayUser: own.user,
        gatewaySystem: own.system,
        upstream: cpuSeconds(upstreamPid()),
      };
    },
    output: () => [...lines],
    close: () => stop(entry),
  };
}

/** Polls GET /readyz until the gateway is ready and every upstream is connected. */
async function waitReady(
  url: string,
  timeoutMs: number,
  failed: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason) throw new Error(reason);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { upstreams?: Array<{ state: string }> };
      last = JSON.stringify(body);
      if (response.status === 200 && body.upstreams?.every((u) => u.state === 'connected')) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gateway not ready within ${timeoutMs} ms (last: ${last})`);
}

/** A forked TypeScript child speaking IPC (advanced serialisation), tracked and killed with us. */
export interface Worker {
  child: ChildProcess;
  pid: number;
  /** Resolves when the child said `{type: 'ready'}` (its message handler is in place). */
  ready: Promise<void>;
  /** Sends `message` and resolves with the first reply of `type` (rejects on timeout or exit). */
  request<T>(message: object, type: string, timeoutMs: number): Promise<T>;
  output(): string[];
  close(): Promise<void>;
}

/** Forks `bench/<script>` with tsx and optional extra node flags, pinned to `cpus` if given. */
export function startWorker(script: string, nodeFlags: string[] = [], cpus?: string): Worker {
  const child = fork(path.join(BENCH, script), [], {
    cwd: ROOT,
    execArgv: [...TS_NODE_ARGS, ...nodeFlags],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const entry = track(child, false);
  if (cpus !== undefined) pin(child.pid, cpus);
  const lines: string[] = [];
  tail(child.stdout, lines);
  tail(child.stderr, lines);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 30_000);
    child.on('message', (message: { type?: string }) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (code ${code}): ${lines.slice(-10).join('\n')}`));
    });
  });
  ready.catch(() => {});
  return {
    child,
    pid: child.pid!,
    ready,
    output: () => [...lines],
    request<T>(message: object, type: string, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script}: no '${type}' reply within ${timeoutMs} ms`));
        }, timeoutMs);
        const onMessage = (reply: { type: string; error?: string }) => {
          if (reply.type === 'error') {
            cleanup();
            reject(new Error(`${script}: ${reply.error}`));
          } else if (reply.type === type) {
            cleanup();
            resolve(reply as T);
          }
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`${script} exited (code ${code}): ${lines.slice(-10).join('\n')}`));
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send(message);
      });
    },
    close: () => stop(entry, 3000),
  };
}
