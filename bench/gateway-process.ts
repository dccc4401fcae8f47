/**
 * The gateway for memory measurements: the same `loadConfig` + `buildApp` + `listen` as
 * src/main.ts, in a process started with `--expose-gc` and an IPC channel. Asked `{type: 'mem'}`,
 * it runs `gc` full GCs (default two) and answers `process.memoryUsage()` plus the number of
 * open SSE streams; asked `{type: 'heap-snapshot', file}`, it writes a V8 heap snapshot there.
 * Nothing is added to src/: the figures are taken from outside the app, in the
 * process that hosts it. Ends on SIGTERM/SIGINT or when the IPC channel closes.
 */
import { writeHeapSnapshot } from 'node:v8';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';

const config = loadConfig(process.env, process.argv.slice(2));
const app = await buildApp(config);
await app.listen({ port: config.port, host: config.host });
app.gateway.pool.warmUp();

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: { type: string; id: number; gc?: number; file?: string }) => {
  if (message.type === 'heap-snapshot') {
    // A diagnostic aid (not used by the scenarios): where per-connection memory goes.
    process.send?.({
      type: 'heap-snapshot',
      id: message.id,
      file: writeHeapSnapshot(message.file),
    });
    return;
  }
  if (message.type !== 'mem') return;
  for (let i = 0; gc && i < (message.gc ?? 2); i++) gc();
  const usage = process.memoryUsage();
  process.send?.({
    type: 'mem',
    id: message.id,
    mem: {
      heapUsed: usage.heapUsed,
      heapTotal: usage.heapTotal,
      rss: usage.rss,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      streams: app.gateway.streams.size,
    },
  });
});

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(1), 5000).unref();
  try {
    await app.close();
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
