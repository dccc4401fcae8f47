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
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { z } from 'zod';
import {
  createToolServer,
  defineTool,
  isEntryModule,
  serveStdio,
  throwIfCancelled,
  wait,
} from './tool-server.js';

export { isEntryModule, serveStdio } from './tool-server.js';

const readOnly = { readOnlyHint: true, openWorldHint: false } as const;

const intervalMs = (defaultMs: number, description: string) =>
  z.number().int().min(10).max(60_000).default(defaultMs).describe(description);

/** The countdown's message after a step: `N seconds left`, `1 second left`, then `liftoff`. */
export function countdownMessage(left: number): string {
  if (left === 0) return 'liftoff';
  return left === 1 ? '1 second left' : `${left} seconds left`;
}

const demoTools = [
  defineTool({
    name: 'countdown',
    title: 'Countdown',
    description:
      'Counts down from `seconds` to zero, one step every `intervalMs` milliseconds. Reports ' +
      'progress (with a total) and logs one info message per step. Can be cancelled.',
    input: z.object({
      seconds: z.number().int().min(1).max(3600).describe('Number of steps to count down'),
      intervalMs: intervalMs(1000, 'Milliseconds between steps'),
    }),
    annotations: readOnly,
    async run({ seconds, intervalMs }, ctx) {
      for (let i = 1; i <= seconds; i++) {
        await wait(intervalMs, ctx.signal);
        const message = countdownMessage(seconds - i);
        await ctx.progress(i, seconds, message);
        await ctx.log('info', message, 'countdown');
      }
      throwIfCancelled(ctx.signal);
      return { content: [{ type: 'text', text: `Countdown from ${seconds} finished` }] };
    },
  }),

  defineTool({
    name: 'crawl',
    title: 'Crawl',
    description:
      'Pretends to crawl `pages` pages, one every `intervalMs` milliseconds. Reports progress ' +
      'without a total and returns the page count as structured content. Can be cancelled.',
    input: z.object({
      pages: z.number().int().min(1).max(10_000).default(5).describe('Number of pages'),
      intervalMs: intervalMs(500, 'Milliseconds between pages'),
    }),
    output: z.object({ pages: z.number().int().describe('Number of pages crawled') }),
    annotations: readOnly,
    async run({ pages, intervalMs }, ctx) {
      for (let i = 1; i <= pages; i++) {
        await wait(intervalMs, ctx.signal);
        await ctx.progress(i, undefined, `fetched page ${i}`);
      }
      throwIfCancelled(ctx.signal);
      return {
        content: [{ type: 'text', text: `Crawled ${pages} pages` }],
        structuredContent: { pages },
      };
    },
  }),

  defineTool({
    name: 'fail',
    title: 'Fail',
    description: 'Always fails with a JSON-RPC error (not a tool result).',
    input: z.object({
      message: z.string().default('The demo tool failed').describe('Error message'),
    }),
    annotations: readOnly,
    run({ message }) {
      // A thrown error becomes a JSON-RPC error response (-32603).
      throw new Error(message);
    },
  }),

  defineTool({
    name: 'reject',
    title: 'Reject',
    description: 'Always returns a tool error result (`isError: true`).',
    input: z.object({
      reason: z.string().default('The demo tool rejected the request').describe('Error text'),
    }),
    annotations: readOnly,
    run: ({ reason }) => ({ isError: true, content: [{ type: 'text', text: reason }] }),
  }),

  defineTool({
    name: 'wait_for_cancel',
    title: 'Wait for cancel',
    description:
      'Never finishes on its own: reports progress (without a total) every `intervalMs` ' +
      'milliseconds until the request is cancelled.',
    input: z.object({
      intervalMs: intervalMs(1000, 'Milliseconds between progress notifications'),
    }),
    annotations: readOnly,
    async run({ intervalMs }, ctx) {
      for (let i = 1; ; i++) {
        await wait(intervalMs, ctx.signal);
        await ctx.progress(i, undefined, 'still waiting');
      }
    },
  }),
];

export function createDemoServer(): Server {
  return createToolServer(
    { name: 'mcp-progress-gateway-demo', title: 'Progress gateway demo', version: '0.1.0' },
    demoTools,
    {
      instructions:
        'Demo tools for the MCP progress gateway: countdown (progress with total), crawl ' +
        '(progress without total), fail (JSON-RPC error), reject (tool error) and ' +
        'wait_for_cancel (runs until cancelled).',
    },
  );
}

if (isEntryModule(import.meta.url)) {
  serveStdio(createDemoServer()).catch((error: unknown) => {
    console.error('demo server failed:', error);
    process.exit(1);
  });
}
