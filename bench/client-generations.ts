/**
 * Decision data for the upstream layer's client generation: the v1 SDK client
 * (`@modelcontextprotocol/sdk`) against the v2 client (`@modelcontextprotocol/client`, version
 * negotiation `auto`), both on the same stdio 2025-11-25 server (the bench upstream, `flood`),
 * both with the gateway's routing: our own `_meta.progressToken` and well-formed progress taken
 * from the transport before the client parses it (src/upstream/progress-fast-path.ts).
 *
 * Variants:
 * - `v1 routed`: what src/upstream/upstream.ts does today (setNotificationHandler + routeProgressFirst).
 * - `v2 auto routed`: the v2 client, negotiated with `server/discover` → falls back to 2025
 *   `initialize`, with the same transport-level routing.
 * - `v2 auto handler`: the v2 client with only `setNotificationHandler('notifications/progress')`
 *   (no transport routing): whether the v2 Protocol alone is lossless, and what it costs.
 *
 * Figures per variant: connect time, 3 timed floods of 20,000 notifications (ms, received,
 * in order), and the 7-notification call that returns at once, 10 times (received per call).
 * Run: `node --import tsx bench/client-generations.ts` (one process, variants one after the other).
 */
import os from 'node:os';
import path from 'node:path';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  ProgressNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { routeProgressFirst } from '../src/upstream/progress-fast-path.js';
import { BENCH, ROOT, TS_NODE_ARGS } from './lib/processes.js';

const FLOOD = 20_000;
const FLOODS = 3;
const FAST = 7;
const FAST_CALLS = 10;
const NO_TIMEOUT = 10 * 60_000;

type Variant = 'v1 routed' | 'v2 auto routed' | 'v2 auto handler';

interface Session {
  /** Calls `flood {count}` with progress token `token`; resolves when the result is in. */
  flood(count: number, token: string): Promise<void>;
  protocolVersion: string | undefined;
  close(): Promise<void>;
}

const serverParams = () => ({
  command: process.execPath,
  args: [...TS_NODE_ARGS, path.join(BENCH, 'upstream-server.ts')],
  cwd: ROOT,
  stderr: 'inherit' as const,
});

async function connect(variant: Variant, route: (token: string) => void): Promise<Session> {
  if (variant === 'v1 routed') {
    const client = new ClientV1({ name: 'bench', version: '0.0.0' }, { capabilities: {} });
    client.setNotificationHandler(ProgressNotificationSchema, (n) =>
      route(String(n.params.progressToken)),
    );
    const transport = new StdioV1(serverParams());
    let version: string | undefined;
    // The v1 client tells the transport the version initialize agreed on, when it can take it.
    (transport as Transport).setProtocolVersion = (v: string) => {
      version = v;
    };
    await client.connect(transport);
    routeProgressFirst(transport, (notice) => route(String(notice.progressToken)));
    return {
      protocolVersion: version,
      async flood(count, token) {
        await client.callTool(
          { name: 'flood', arguments: { count }, _meta: { progressToken: token } },
          CallToolResultSchema,
          { timeout: NO_TIMEOUT },
        );
      },
      close: () => client.close(),
    };
  }
  const client = new ClientV2(
    { name: 'bench', version: '0.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  client.setNotificationHandler('notifications/progress', (n) =>
    route(String(n.params.progressToken)),
  );
  const transport = new StdioV2(serverParams());
  await client.connect(transport);
  if (variant === 'v2 auto routed') {
    routeProgressFirst(transport as unknown as Transport, (notice) =>
      route(String(notice.progressToken)),
    );
  }
  return {
    protocolVersion: client.getNegotiatedProtocolVersion(),
    async flood(count, token) {
      await client.callTool(
        { name: 'flood', arguments: { count }, _meta: { progressToken: token } },
        { timeout: NO_TIMEOUT },
      );
    },
    close: () => client.close(),
  };
}

async function measure(variant: Variant) {
  const counts = new Map<string, number>();
  const route = (token: string) => counts.set(token, (counts.get(token) ?? 0) + 1);
  const connectStart = performance.now();
  const session = await connect(variant, route);
  const connectMs = performance.now() - connectStart;
  let n = 0;
  const run = async (count: number) => {
    const token = `${variant}-${++n}`;
    const started = performance.now();
    await session.flood(count, token);
    const ms = performance.now() - started;
    // What arrived before the result resolved is what counts: a job's stream ends there.
    return { ms, received: counts.get(token) ?? 0 };
  };
  await run(1000); // warm-up, untimed
  const floods = [];
  for (let i = 0; i < FLOODS; i++) floods.push(await run(FLOOD));
  const fast = [];
  for (let i = 0; i < FAST_CALLS; i++) fast.push((await run(FAST)).received);
  await session.close();
  return { variant, protocolVersion: session.protocolVersion, connectMs, floods, fast };
}

const load = os.loadavg().map((l) => l.toFixed(2));
console.log(`node ${process.version}, ${os.cpus().length} cpus, load before ${load.join(' ')}`);
for (const variant of ['v1 routed', 'v2 auto routed', 'v2 auto handler'] as const) {
  const r = await measure(variant);
  const ms = r.floods.map((f) => f.ms.toFixed(0)).join(' / ');
  const received = r.floods.map((f) => `${f.received}/${FLOOD}`).join(' ');
  const perSec = r.floods.map((f) => ((FLOOD / f.ms) * 1000).toFixed(0)).join(' / ');
  console.log(
    `${r.variant.padEnd(16)} version ${r.protocolVersion ?? '?'}, connect ${r.connectMs.toFixed(0)} ms\n` +
      `  flood ${FLOOD}: ${ms} ms (${perSec} notif/s), received ${received}\n` +
      `  fast tool (${FAST} notifications) x${FAST_CALLS}: ${r.fast.join(',')} ` +
      `(${r.fast.filter((c) => c === FAST).length}/${FAST_CALLS} complete)`,
  );
}
console.log(
  `load after ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
