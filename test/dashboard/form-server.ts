/**
 * An MCP server (stdio) for the dashboard's form tests: one tool whose input schema has every
 * kind of field the generated form handles, and which returns its arguments as they arrived.
 *
 *   node --import tsx test/dashboard/form-server.ts
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { UpstreamConfig } from '../../src/config/index.js';
import {
  createToolServer,
  defineTool,
  isEntryModule,
  serveStdio,
} from '../../src/demo/tool-server.js';

const HERE = fileURLToPath(import.meta.url);

/** This server as an upstream (named `forms` by default), run from source. */
export function formUpstream(name = 'forms'): UpstreamConfig {
  return {
    name,
    transport: 'stdio',
    command: process.execPath,
    args: ['--import', 'tsx', HERE],
    env: {},
    cwd: path.resolve(path.dirname(HERE), '../..'),
  };
}

const configure = defineTool({
  name: 'configure',
  title: 'Configure',
  description: 'Returns its arguments, as received, in structuredContent.args.',
  input: z.object({
    name: z.string().min(1).describe('A name'),
    mode: z.enum(['fast', 'safe', 'thorough']).default('safe'),
    count: z.number().int().min(0).max(10).describe('How many'),
    ratio: z.number().min(0).max(1).optional(),
    verbose: z.boolean().default(false),
    target: z.object({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
    }),
    tags: z.array(z.string()).max(3).optional(),
    steps: z
      .array(z.object({ name: z.string(), wait: z.number().int().min(0).optional() }))
      .optional(),
    extra: z.union([z.string(), z.number()]).optional(),
  }),
  run: (args) => ({
    content: [{ type: 'text', text: JSON.stringify(args) }],
    structuredContent: { args },
  }),
});

if (isEntryModule(import.meta.url)) {
  serveStdio(createToolServer({ name: 'dashboard-forms', version: '0.0.0' }, [configure])).catch(
    (error: unknown) => {
      console.error('form server failed:', error);
      process.exit(1);
    },
  );
}
