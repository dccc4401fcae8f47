/**
 * The fan-out floor: a bare `node:http` server that writes one pre-serialised SSE frame (a Buffer
 * built once per event) to every open response, on the same drift-free schedule as the bench
 * upstream's `ticker`, with the scheduled send time as the progress `message`. Frames look like
 * the gateway's (snapshot without id, then `progress` events with ids, then `done`), so the same
 * subscriber code reads both. Driven over IPC: `listen`, `run {count, intervalMs}`, `mem`.
 * Runs with `--expose-gc`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const clients = new Set<http.ServerResponse>();

const server = http.createServer((req, res) => {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\nevent: status\ndata: {"status":"running"}\n\n');
  clients.add(res);
  res.on('close', () => clients.delete(res));
});
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.headersTimeout = 0;

function progressFrame(i: number, count: number, sentAt: number): Buffer {
  const percent = Math.round((i / count) * 10_000) / 100;
  const data = `{"progress":${i},"total":${count},"message":"${sentAt}","percent":${percent}}`;
  return Buffer.from(`id: ${i}\nevent: progress\ndata: ${data}\n\n`);
}

function run(
  count: number,
  intervalMs: number,
): Promise<{ writes: number; maxLateMs: number; cpuS: number; userS: number; systemS: number }> {
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let i = 1;
    let writes = 0;
    let maxLateMs = 0;
    const tick = () => {
      const now = performance.now();
      while (i <= count && start + i * intervalMs <= now) {
        const due = start + i * intervalMs;
        maxLateMs = Math.max(maxLateMs, now - due);
        const frame = progressFrame(i, count, performance.timeOrigin + due);
        for (const res of clients) res.write(frame);
        writes += clients.size;
        i++;
      }
      if (i <= count) {
        setTimeout(tick, Math.max(0, start + i * intervalMs - performance.now()));
        return;
      }
      const done = Buffer.from(`id: ${count + 1}\nevent: done\ndata: {"status":"succeeded"}\n\n`);
      for (const res of [...clients]) res.end(done);
      const cpu = process.cpuUsage(cpu0);
      resolve({
        writes,
        maxLateMs,
        cpuS: (cpu.user + cpu.system) / 1e6,
        userS: cpu.user / 1e6,
        systemS: cpu.system / 1e6,
      });
    };
    setTimeout(tick, intervalMs);
  });
}

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: { type: string; count?: number; intervalMs?: number }) => {
  if (message.type === 'listen') {
    server.listen(0, '127.0.0.1', () => {
      process.send?.({ type: 'listening', port: (server.address() as AddressInfo).port });
    });
  } else if (message.type === 'run') {
    run(message.count ?? 0, message.intervalMs ?? 20).then((result) =>
      process.send?.({ type: 'ran', ...result }),
    );
  } else if (message.type === 'mem') {
    if (gc) {
      gc();
      gc();
    }
    const usage = process.memoryUsage();
    process.send?.({
      type: 'mem',
      mem: {
        heapUsed: usage.heapUsed,
        heapTotal: usage.heapTotal,
        rss: usage.rss,
        external: usage.external,
        arrayBuffers: usage.arrayBuffers,
        streams: clients.size,
      },
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
