/* eslint-disable no-console -- an example that prints to the terminal */
/**
 * Calls the demo upstream's `countdown` through a running gateway and prints its progress.
 *
 *   npm start                                 # the gateway, with the demo upstream
 *   node --import tsx examples/node.ts 5      # in another terminal; Ctrl-C cancels the job
 *
 * GATEWAY_URL (default http://127.0.0.1:8080) is the gateway; GATEWAY_API_KEY is sent as the
 * bearer token when the gateway runs with API_KEYS.
 */
import { GatewayClient, isGatewayClientError } from '../src/client/index.js';
// In an application: import { GatewayClient } from 'mcp-progress-gateway/client';

const seconds = Number(process.argv[2] ?? 3);

const client = new GatewayClient(process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080', {
  apiKey: process.env.GATEWAY_API_KEY,
  // Called for every progress notification, as an MCP client's progress handler is.
  progressHandler: (progress, total, message, { percent }) => {
    const of = total === undefined ? '' : ` of ${total}`;
    const pct = percent === null ? '' : ` (${percent}%)`;
    console.log(`progress ${progress}${of}${pct}${message === undefined ? '' : `: ${message}`}`);
  },
  logHandler: (log) => console.log(`log (${log.level}): ${JSON.stringify(log.data)}`),
});

// Ctrl-C aborts the call: the client cancels the job on the gateway, then the call rejects.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

try {
  const result = await client.callTool(
    'demo',
    'countdown',
    { seconds },
    { signal: controller.signal, onStart: (job) => console.log(`started job ${job.id}`) },
  );
  for (const item of result.content) {
    if (item.type === 'text') console.log(`result: ${item.text}`);
  }
} catch (error) {
  if (!isGatewayClientError(error)) throw error;
  // `code` is the gateway's: CANCELLED, TOOL_ERROR, UNKNOWN_SERVER, UNAUTHORIZED, ...
  console.error(`${error.name} ${error.code}: ${error.message}`);
  process.exitCode = 1;
}
