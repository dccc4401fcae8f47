/**
 * A process holding many SSE subscribers (raw sockets, light parser), driven over IPC:
 * - `{type:'open', port, path, count, concurrency, expect, readyProgress?}`: opens `count`
 *   subscriptions, at most `concurrency` still waiting for their opening snapshot (and progress
 *   1..readyProgress) at a time; answers `opened`.
 * - `{type:'collect', timeoutMs}`: waits until every subscription has closed (the server ends a
 *   stream after `done`), then answers `collected` with the stream checks and every delivery
 *   latency (receive time minus the send time carried in a progress event's `message`).
 * - `{type:'close'}`: drops every socket and exits.
 */
import { performance } from 'node:perf_hooks';
import { StreamCheck, totals, type StreamFigures } from '../lib/check.js';
import { nowMs, openRawSse, type RawSse } from '../lib/lite-sse.js';

interface Subscriber {
  raw: RawSse;
  check: StreamCheck;
  closed: boolean;
  error: string | undefined;
  lastEventAt: number;
}

interface OpenMessage {
  type: 'open';
  port: number;
  path: string;
  count: number;
  concurrency: number;
  /** Progress events each subscriber should get (1..expect). */
  expect: number;
  /** A subscriber counts as open once it has the snapshot and progress 1..readyProgress. */
  readyProgress?: number;
  timeoutMs: number;
}

const subscribers: Subscriber[] = [];
let latencies = new Float64Array(1024);
let latencyCount = 0;
let openClosed = 0;
const wakeOnClose = new Set<() => void>();

function recordLatency(value: number): void {
  if (latencyCount === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[latencyCount++] = value;
}

function send(message: object): void {
  process.send?.(message);
}

async function open(message: OpenMessage): Promise<void> {
  const started = nowMs();
  const capacity = message.count * Math.max(1, message.expect);
  if (latencies.length < capacity) latencies = new Float64Array(capacity);
  latencyCount = 0;
  let ready = 0;
  let failed = 0;
  let inFlight = 0;
  let launched = 0;
  const errors: string[] = [];
  const readyProgress = message.readyProgress ?? 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${ready} of ${message.count} subscribers opened in time`)),
      message.timeoutMs,
    );
    const settle = () => {
      if (ready + failed === message.count) {
        clearTimeout(timer);
        resolve();
      } else launch();
    };
    const launch = () => {
      while (launched < message.count && inFlight < message.concurrency) {
        launched++;
        inFlight++;
        let counted = false;
        const count = () => {
          if (counted) return false;
          counted = true;
          inFlight--;
          return true;
        };
        const check = new StreamCheck(message.expect);
        const sub: Subscriber = {
          check,
          closed: false,
          error: undefined,
          lastEventAt: 0,
          raw: openRawSse({
            port: message.port,
            path: message.path,
            onEvent(event, receivedAt) {
              sub.lastEventAt = receivedAt;
              const data = check.onEvent(event);
              if (data !== undefined) {
                const sentAt = Number(data.message);
                if (Number.isFinite(sentAt)) recordLatency(receivedAt - sentAt);
              }
              if (check.gotSnapshot && check.next > readyProgress && count()) {
                ready++;
                settle();
              }
            },
            onClose(_ended, error) {
              sub.closed = true;
              sub.error = error?.message;
              openClosed++;
              for (const wake of [...wakeOnClose]) wake();
              if (count()) {
                failed++;
                if (errors.length < 5) errors.push(error?.message ?? 'closed before snapshot');
                settle();
              }
            },
          }),
        };
        subscribers.push(sub);
      }
    };
    launch();
  });
  send({ type: 'opened', ready, failed, errors, ms: nowMs() - started });
}

async function collect(timeoutMs: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const started = nowMs();
  let timedOut = false;
  await new Promise<void>((resolve) => {
    const check = () => {
      if (openClosed < subscribers.length) return;
      clearTimeout(timer);
      wakeOnClose.delete(check);
      resolve();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      wakeOnClose.delete(check);
      resolve();
    }, timeoutMs);
    wakeOnClose.add(check);
    check();
  });
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const figures: StreamFigures[] = subscribers.map((s) => s.check.figures());
  let lastEventAt = 0;
  const errors: string[] = [];
  for (const s of subscribers) {
    lastEventAt = Math.max(lastEventAt, s.lastEventAt);
    if (s.error && errors.length < 5) errors.push(s.error);
  }
  send({
    type: 'collected',
    totals: totals(figures),
    latencies: latencies.slice(0, latencyCount),
    stillOpen: subscribers.length - openClosed,
    timedOut,
    errors,
    lastEventAt,
    collectMs: nowMs() - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
    elu: elu.utilization,
  });
  for (const s of subscribers) s.raw.socket.destroy();
  subscribers.length = 0;
  openClosed = 0;
}

process.on(
  'message',
  (message: { type: string } & Partial<OpenMessage> & { timeoutMs?: number }) => {
    const fail = (error: unknown) => send({ type: 'error', error: (error as Error).message });
    if (message.type === 'open') open(message as OpenMessage).catch(fail);
    else if (message.type === 'collect') collect(message.timeoutMs ?? 60_000).catch(fail);
    else if (message.type === 'close') {
      for (const s of subscribers) s.raw.socket.destroy();
      send({ type: 'closed' });
      process.exit(0);
    }
  },
);
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
