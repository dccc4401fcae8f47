/**
 * The throughput floor: the bench upstream's `flood` called directly with the SDK's Client over
 * StdioClientTransport, in this one process, no gateway. Two variants:
 * - `onprogress`: the SDK's own progress routing (the last notifications can be lost when they
 *   arrive with the result, typescript-sdk #2580, docs/pitfalls.md#progress-that-races-the-result); we count what it delivered.
 * - `handler`: our own `_meta.progressToken` and `setNotificationHandler(ProgressNotificationSchema)`,
 *   as the gateway does; everything arrives before the result resolves.
 * IPC: `{type:'run', variant, count, warmup}` → `{type:'result', run: {ms, received, inOrder,
 * onerrors}}`: one timed call. Each variant keeps its own client and upstream process; the first
 * request for a variant connects it and makes one warm-up call first, outside the timing.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CallToolResultSchema,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { BENCH, ROOT, TS_NODE_ARGS } from '../lib/processes.js';

const NO_TIMEOUT = 10 * 60_000;

interface RunFigures {
  ms: number;
  received: number;
  inOrder: boolean;
  onerrors: number;
}

/** One connected client (and upstream process) per variant, kept for every run. */
interface Floor {
  call(count: number): Promise<RunFigures>;
  close(): Promise<void>;
}

async function connect(variant: 'onprogress' | 'handler', warmup: number): Promise<Floor> {
  const client = new Client({ name: 'bench-floor', version: '0.0.0' }, { capabilities: {} });
  let onerrors = 0;
  client.onerror = () => onerrors++;
  let received = 0;
  let inOrder = true;
  const onProgress = (progress: number) => {
    received++;
    if (progress !== received) inOrder = false;
  };
  if (variant === 'handler') {
    client.setNotificationHandler(ProgressNotificationSchema, (n) => onProgress(n.params.progress));
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...TS_NODE_ARGS, path.join(BENCH, 'upstream-server.ts')],
    cwd: ROOT,
    stderr: 'inherit',
  });
  await client.connect(transport);
  let calls = 0;
  const call = async (n: number): Promise<RunFigures> => {
    received = 0;
    inOrder = true;
    onerrors = 0;
    const token = `floor-${++calls}`;
    const started = performance.now();
    if (variant === 'onprogress') {
      await client.callTool({ name: 'flood', arguments: { count: n } }, CallToolResultSchema, {
        onprogress: (p) => onProgress(p.progress),
        timeout: NO_TIMEOUT,
      });
    } else {
      await client.callTool(
        { name: 'flood', arguments: { count: n }, _meta: { progressToken: token } },
        CallToolResultSchema,
        { timeout: NO_TIMEOUT },
      );
    }
    const ms = performance.now() - started;
    // Late "unknown progress token" errors surface after the result: let them land.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { ms, received, inOrder, onerrors };
  };
  if (warmup > 0) await call(warmup);
  return { call, close: () => client.close() };
}

const floors = new Map<string, Promise<Floor>>();

process.on(
  'message',
  (message: { type: string; variant: 'onprogress' | 'handler'; count: number; warmup: number }) => {
    if (message.type !== 'run') return;
    let floor = floors.get(message.variant);
    if (!floor) {
      floor = connect(message.variant, message.warmup);
      floors.set(message.variant, floor);
    }
    floor
      .then((f) => f.call(message.count))
      .then(
        (run) => process.send?.({ type: 'result', run }),
        (error: unknown) => process.send?.({ type: 'error', error: (error as Error).message }),
      );
  },
);
process.on('disconnect', () => {
  Promise.all([...floors.values()].map((f) => f.then((x) => x.close()).catch(() => {}))).finally(
    () => process.exit(0),
  );
});
process.send?.({ type: 'ready' });
