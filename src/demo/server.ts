/**
 * The demo MCP server bundled with the gateway.
 *
 * Its tools exercise everything the gateway cares about: determinate progress (`countdown`),
 * indeterminate progress with structured output (`crawl`), protocol-level failures (`fail`),
 * tool-level failures (`reject`) and cancellation (`wait_for_cancel`). Every interval is a
 * parameter so tests can run them quickly.
 *
 * Run it directly (`node dist/demo/server.js`, or `node --import tsx src/demo/server.ts`) to
 * serve it over stdio.
 */
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  type LoggingLevel,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** The `extra` argument every tool handler receives. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Sends a `notifications/progress` for the current request, if (and only if) the caller asked
 * for progress by sending a progress token. Fields that are `undefined` are left out.
 *
 * Note: the SDK's `extra.sendNotification` silently drops notifications once the request has been
 * cancelled (its signal aborted).
 */
export async function sendProgress(
  extra: ToolExtra,
  progress: number,
  total?: number,
  message?: string,
): Promise<void> {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return;
  await extra.sendNotification({
    method: 'notifications/progress',
    params: {
      progressToken,
      progress,
      ...(total !== undefined && { total }),
      ...(message !== undefined && { message }),
    },
  });
}

/** Sends a `notifications/message` (a log message) related to the current request. */
export async function sendLog(
  extra: ToolExtra,
  level: LoggingLevel,
  logger: string,
  data: unknown,
): Promise<void> {
  await extra.sendNotification({
    method: 'notifications/message',
    params: { level, logger, data },
  });
}

const protocolErrors = new WeakMap<AbortSignal, Error>();

/**
 * Marks `error` to be returned to the client as a JSON-RPC error response instead of a tool
 * result. Use as `throw protocolError(extra, new Error('...'))`.
 *
 * Background: `McpServer` (SDK 1.x) catches every error thrown by a tool handler and turns it into
 * a successful `CallToolResult` with `isError: true`. Errors marked here are re-thrown by the
 * wrapper that {@link enableProtocolErrors} installs, after `McpServer` has swallowed them, so
 * they reach the client as a real JSON-RPC error (code -32603 unless the error carries a numeric
 * `code`).
 */
export function protocolError(extra: ToolExtra, error: Error): Error {
  protocolErrors.set(extra.signal, error);
  return error;
}

type RawRequestHandler = (request: unknown, extra: ToolExtra) => Promise<unknown>;

/**
 * Wraps `McpServer`'s `tools/call` handler so that errors marked with {@link protocolError} become
 * JSON-RPC errors. Call it after the first `registerTool` (which is when `McpServer` installs the
 * handler). Relies on the SDK's private handler map, so it fails loudly if that ever changes.
 */
export function enableProtocolErrors(mcp: McpServer): void {
  const handlers = (mcp.server as unknown as { _requestHandlers?: unknown })._requestHandlers;
  const original = handlers instanceof Map ? (handlers.get('tools/call') as unknown) : undefined;
  if (typeof original !== 'function') {
    throw new Error('enableProtocolErrors: tools/call handler not found (SDK internals changed?)');
  }
  const callTool = original as RawRequestHandler;
  mcp.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const result = await callTool(request, extra);
    const error = protocolErrors.get(extra.signal);
    if (error !== undefined) {
      protocolErrors.delete(extra.signal);
      throw error;
    }
    // The original handler already validated the result against CallToolResultSchema.
    return result as CallToolResult;
  });
}

/** Throws the signal's abort reason as an Error if the request was cancelled. */
function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('Request was cancelled');
}

/** Waits `ms`, rejecting promptly (and clearing the timer) if `signal` aborts. */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new Error('Request was cancelled');
  }
}

const readOnly = { readOnlyHint: true, openWorldHint: false } as const;

export function createDemoServer(): McpServer {
  const mcp = new McpServer(
    { name: 'mcp-progress-gateway-demo', title: 'Progress gateway demo', version: '0.1.0' },
    {
      capabilities: { logging: {} },
      instructions:
        'Demo tools for the MCP progress gateway: countdown (progress with total), crawl ' +
        '(progress without total), fail (JSON-RPC error), reject (tool error) and ' +
        'wait_for_cancel (runs until cancelled).',
    },
  );

  mcp.registerTool(
    'countdown',
    {
      title: 'Countdown',
      description:
        'Counts down from `seconds` to zero, one step every `intervalMs` milliseconds. Reports ' +
        'progress (with a total) and logs one info message per step. Can be cancelled.',
      inputSchema: {
        seconds: z.number().int().min(1).max(3600).describe('Number of steps to count down'),
        intervalMs: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(1000)
          .describe('Milliseconds between steps'),
      },
      annotations: readOnly,
    },
    async ({ seconds, intervalMs }, extra) => {
      for (let i = 1; i <= seconds; i++) {
        await wait(intervalMs, extra.signal);
        const left = seconds - i;
        const message = left === 0 ? 'liftoff' : `${left} seconds left`;
        await sendProgress(extra, i, seconds, message);
        await sendLog(extra, 'info', 'countdown', message);
      }
      throwIfCancelled(extra.signal);
      return { content: [{ type: 'text', text: `Countdown from ${seconds} finished` }] };
    },
  );

  mcp.registerTool(
    'crawl',
    {
      title: 'Crawl',
      description:
        'Pretends to crawl `pages` pages, one every `intervalMs` milliseconds. Reports progress ' +
        'without a total and returns the page count as structured content. Can be cancelled.',
      inputSchema: {
        pages: z.number().int().min(1).max(10_000).default(5).describe('Number of pages'),
        intervalMs: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(500)
          .describe('Milliseconds between pages'),
      },
      outputSchema: { pages: z.number().int().describe('Number of pages crawled') },
      annotations: readOnly,
    },
    async ({ pages, intervalMs }, extra) => {
      for (let i = 1; i <= pages; i++) {
        await wait(intervalMs, extra.signal);
        await sendProgress(extra, i, undefined, `fetched page ${i}`);
      }
      throwIfCancelled(extra.signal);
      return {
        content: [{ type: 'text', text: `Crawled ${pages} pages` }],
        structuredContent: { pages },
      };
    },
  );

  mcp.registerTool(
    'fail',
    {
      title: 'Fail',
      description: 'Always fails with a JSON-RPC error (not a tool result).',
      inputSchema: {
        message: z.string().default('The demo tool failed').describe('Error message'),
      },
      annotations: readOnly,
    },
    ({ message }, extra) => {
      throw protocolError(extra, new Error(message));
    },
  );

  mcp.registerTool(
    'reject',
    {
      title: 'Reject',
      description: 'Always returns a tool error result (`isError: true`).',
      inputSchema: {
        reason: z.string().default('The demo tool rejected the request').describe('Error text'),
      },
      annotations: readOnly,
    },
    ({ reason }) => ({ isError: true, content: [{ type: 'text', text: reason }] }),
  );

  mcp.registerTool(
    'wait_for_cancel',
    {
      title: 'Wait for cancel',
      description:
        'Never finishes on its own: reports progress (without a total) every `intervalMs` ' +
        'milliseconds until the request is cancelled.',
      inputSchema: {
        intervalMs: z
          .number()
          .int()
          .min(10)
          .max(60_000)
          .default(1000)
          .describe('Milliseconds between progress notifications'),
      },
      annotations: readOnly,
    },
    async ({ intervalMs }, extra) => {
      for (let i = 1; ; i++) {
        await wait(intervalMs, extra.signal);
        await sendProgress(extra, i, undefined, 'still waiting');
      }
    },
  );

  enableProtocolErrors(mcp);
  return mcp;
}

/** True when `moduleUrl` is the script node was started with (symlinks resolved). */
export function isEntryModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return moduleUrl === pathToFileURL(entry).href;
  }
}

export async function serveStdio(mcp: McpServer): Promise<void> {
  const transport = new StdioServerTransport();
  // Exit when the client goes away (stdin closes), even if a tool is still running.
  process.stdin.on('end', () => process.exit(0));
  await mcp.connect(transport);
}

if (isEntryModule(import.meta.url)) {
  serveStdio(createDemoServer()).catch((error: unknown) => {
    console.error('demo server failed:', error);
    process.exit(1);
  });
}
