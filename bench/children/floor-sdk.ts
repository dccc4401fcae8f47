/**
 * The throughput floor: the bench upstream's `flood` called directly with the SDK's Client over
 * StdioClientTransport, in this one process, no gateway. Two variants:
 * - `onprogress`: the SDK's own progress routing (the last notifications can be lost when they
 *   arrive with the result, typescript-sdk #2580, PITFALLS.md); we count what it delivered.
 * - `handler`: our own `_meta.progressToken` and `setNotificationHandler(ProgressNotificationSchema)`,
 *   as the gateway does; everything arrives before the result resolves.
 * IPC: `{type:'run', variant, count, runs, warmup}` → `{type:'result', runs:[{ms, received,
 * inOrder, onerrors}]}`. The upstream is connected (and one warm-up call made) before timing.
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

async function runVariant(
  variant: 'onprogress' | 'handler',
  count: number,
  runs: number,
  warmup: number,
): Promise<RunFigures[]> {
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
  try {
    const call = async (n: number, token: string): Promise<RunFigures> => {
      received = 0;
      inOrder = true;
      onerrors = 0;
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
    if (warmup > 0) await call(warmup, 'warmup');
    const results: RunFigures[] = [];
    for (let i = 0; i < runs; i++) results.push(await call(count, `run-${i}`));
    return results;
  } finally {
    await client.close();
  }
}

process.on(
  'message',
  (message: {
    type: string;
    variant: 'onprogress' | 'handler';
    count: number;
    runs: number;
    warmup: number;
  }) => {
    if (message.type !== 'run') return;
    runVariant(message.variant, message.count, message.runs, message.warmup).then(
      (runs) => process.send?.({ type: 'result', runs }),
      (error: unknown) => process.send?.({ type: 'error', error: (error as Error).message }),
    );
  },
);
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
