/**
 * The benchmark's upstream MCP server, over stdio: `node --import tsx bench/upstream-server.ts`.
 *
 * Tools (every one takes an optional `gatePort`: before its first gated notification the tool
 * connects to 127.0.0.1:gatePort and waits for one byte, so a benchmark can open its subscribers first and
 * then start the events at a moment it chooses):
 * - `flood {count, pad?}`: `count` progress notifications as fast as possible, awaiting each
 *   send; with `pad`, each carries a `message` of that many characters (bigger events).
 * - `ticker {count, intervalMs, before?}`: one progress notification per interval on a drift-free
 *   schedule; `message` is the send time, `String(performance.timeOrigin + performance.now())`.
 *   With `before`, progress 1..before is sent at once before waiting at the gate (a running job
 *   that already has a history), and the ticks continue from before+1.
 * - `quick {events}`: `events` progress notifications, then returns at once.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createToolServer, defineTool, serveStdio } from '../src/demo/tool-server.js';

const count = (min: number, max: number) => z.number().int().min(min).max(max);
const gate = { gatePort: count(1, 65535).optional(), gateTimeoutMs: count(1, 600_000).optional() };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
const nowMs = (): number => performance.timeOrigin + performance.now();

/** Resolves once the gate at 127.0.0.1:port sends a byte; rejects after `timeoutMs`. */
function waitForGate(port: number | undefined, timeoutMs = 120_000): Promise<void> {
  if (port === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`gate on port ${port} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('data', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const tools = [
  defineTool({
    name: 'flood',
    title: 'Flood',
    description:
      'Sends `count` progress notifications (progress 1..count) as fast as possible; with ' +
      '`pad`, each has a `message` of `pad` characters.',
    input: z.object({ count: count(1, 10_000_000), pad: count(0, 100_000).optional(), ...gate }),
    async run({ count, pad, gatePort, gateTimeoutMs }, ctx) {
      await waitForGate(gatePort, gateTimeoutMs);
      const message = pad ? 'x'.repeat(pad) : undefined;
      for (let i = 1; i <= count; i++) await ctx.progress(i, count, message);
      return { content: [{ type: 'text', text: `flood ${count}` }] };
    },
  }),
  defineTool({
    name: 'ticker',
    title: 'Ticker',
    description:
      'Sends `count` progress notifications, one every `intervalMs` (drift-free), with the send ' +
      'time (epoch ms, fractional) as `message`.',
    input: z.object({
      count: count(0, 1_000_000),
      intervalMs: count(1, 600_000),
      before: count(0, 1_000_000).optional(),
      ...gate,
    }),
    async run({ count, intervalMs, before = 0, gatePort, gateTimeoutMs }, ctx) {
      for (let i = 1; i <= Math.min(before, count); i++) {
        await ctx.progress(i, count, String(nowMs()));
      }
      await waitForGate(gatePort, gateTimeoutMs);
      const start = performance.now();
      for (let i = before + 1; i <= count; i++) {
        const due = start + (i - before) * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        await ctx.progress(i, count, String(nowMs()));
      }
      return { content: [{ type: 'text', text: `ticker ${count}` }] };
    },
  }),
  defineTool({
    name: 'quick',
    title: 'Quick',
    description: 'Sends `events` progress notifications, then returns at once.',
    input: z.object({ events: count(0, 1_000_000), ...gate }),
    async run({ events, gatePort, gateTimeoutMs }, ctx) {
      await waitForGate(gatePort, gateTimeoutMs);
      for (let i = 1; i <= events; i++) await ctx.progress(i, events);
      return { content: [{ type: 'text', text: `quick ${events}` }] };
    },
  }),
];

serveStdio(createToolServer({ name: 'mcp-progress-gateway-bench', version: '0.0.0' }, tools)).catch(
  (error: unknown) => {
    console.error('bench upstream server failed:', error);
    process.exit(1);
  },
);
