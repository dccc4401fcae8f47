/**
 * A small tools-only MCP server built on the SDK's public low-level `Server` API, shared by the
 * bundled demo server and the test fixture server.
 *
 * Tools are declared as a table of {@link ToolDefinition}s with zod schemas. Unlike `McpServer`,
 * errors thrown by a tool are *not* turned into `isError` results: the SDK replies with a JSON-RPC
 * error (code -32603, or the error's own numeric `code`, e.g. an `McpError`'s). A tool that wants
 * a tool error result returns `{ isError: true, ... }` itself.
 */
import { realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Implementation,
  type LoggingLevel,
  type ProgressToken,
  type RequestId,
  type ServerNotification,
  type Tool,
  type ToolAnnotations,
  ToolSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** What a running tool can do besides computing its result. */
export interface ToolContext {
  /** Aborted when the client cancels the request or the connection closes. */
  signal: AbortSignal;
  /** The JSON-RPC id of the `tools/call` request. */
  requestId: RequestId;
  /** The progress token the client sent, if it asked for progress. */
  progressToken: ProgressToken | undefined;
  /**
   * Sends a `notifications/progress` for this request if (and only if) the client sent a progress
   * token; `total` and `message` are left out when `undefined`. Dropped once `signal` aborted.
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Sends a `notifications/message` (a log message) for this request. Dropped once aborted. */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void>;
  /**
   * Sends `notification` related to this request straight through the server, even after the
   * request was cancelled (unlike {@link progress} and {@link log}). Rejects if the transport
   * refuses it.
   */
  sendRaw(notification: ServerNotification): Promise<void>;
  /** Whether the server is still connected to a transport. */
  isConnected(): boolean;
}

/** One tool: its metadata, zod schemas and implementation. */
export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** Validates (and fills in defaults of) the call's arguments. */
  input: Input;
  /** If given, `structuredContent` of successful results must match it. */
  output?: z.ZodType;
  annotations?: ToolAnnotations;
  run(args: z.output<Input>, ctx: ToolContext): CallToolResult | Promise<CallToolResult>;
}

/** Identity function that types `run`'s arguments from `input`; use it to build a tool table. */
export function defineTool<Input extends z.ZodObject>(tool: ToolDefinition<Input>): ToolDefinition {
  return tool;
}

export interface ToolServerOptions {
  instructions?: string;
}

type JsonObjectSchema = Tool['inputSchema'];

/** Converts a zod schema to the JSON Schema `tools/list` advertises; it must describe an object. */
function objectJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  where: string,
): JsonObjectSchema {
  // draft-07, like McpServer: the SDK client compiles output schemas with a draft-07 Ajv.
  const json = z.toJSONSchema(schema, { target: 'draft-7', io });
  // Checks `type: "object"` (and object-valued properties), as the MCP spec requires.
  const checked = ToolSchema.shape.inputSchema.safeParse(json);
  if (!checked.success) {
    throw new Error(
      `${where} must be a JSON Schema of type "object" (got ${JSON.stringify(json)})`,
    );
  }
  return checked.data;
}

/** Formats zod issues as `path: message; path: message`. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Creates a `Server` (capabilities `tools` and `logging`) that lists and runs `tools`.
 *
 * `tools/call` fails with a JSON-RPC `InvalidParams` error for an unknown tool or invalid
 * arguments, and with whatever a tool throws (see the module comment).
 */
export function createToolServer(
  info: Implementation,
  tools: readonly ToolDefinition[],
  options: ToolServerOptions = {},
): Server {
  const server = new Server(info, {
    capabilities: { tools: {}, logging: {} },
    ...(options.instructions !== undefined && { instructions: options.instructions }),
  });

  const byName = new Map<string, ToolDefinition>();
  const listed: Tool[] = [];
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`Duplicate tool name: ${tool.name}`);
    byName.set(tool.name, tool);
    listed.push({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: objectJsonSchema(tool.input, 'input', `${tool.name}: input schema`),
      ...(tool.output !== undefined && {
        outputSchema: objectJsonSchema(tool.output, 'output', `${tool.name}: output schema`),
      }),
      ...(tool.annotations !== undefined && { annotations: tool.annotations }),
    });
  }

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: rawArgs } = request.params;
    const tool = byName.get(name);
    if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `Invalid arguments for tool ${name}: ${describeIssues(parsed.error)}`,
      );
    }

    const progressToken = extra._meta?.progressToken;
    const ctx: ToolContext = {
      signal: extra.signal,
      requestId: extra.requestId,
      progressToken,
      async progress(progress, total, message) {
        if (progressToken === undefined) return;
        // extra.sendNotification drops notifications once the request has been cancelled.
        await extra.sendNotification({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress,
            ...(total !== undefined && { total }),
            ...(message !== undefined && { message }),
          },
        });
      },
      async log(level, data, logger) {
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level, ...(logger !== undefined && { logger }), data },
        });
      },
      async sendRaw(notification) {
        await server.notification(notification, { relatedRequestId: extra.requestId });
      },
      isConnected: () => server.transport !== undefined,
    };

    const result = await tool.run(parsed.data, ctx);
    if (tool.output !== undefined && !result.isError) {
      const checked = tool.output.safeParse(result.structuredContent);
      if (!checked.success) {
        throw new McpError(
          ErrorCode.InternalError,
          `Tool ${name} returned invalid structured content: ${describeIssues(checked.error)}`,
        );
      }
    }
    return result;
  });

  return server;
}

/** Throws if `signal` aborted (the request was cancelled). */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('Request was cancelled');
}

/** Waits `ms`, rejecting promptly (and clearing the timer) if `signal` aborts. */
export async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new Error('Request was cancelled');
  }
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

/** Serves `server` over stdio; the process exits when stdin ends (the client went away). */
export async function serveStdio(server: Server): Promise<void> {
  const transport = new StdioServerTransport();
  // Exit when the client goes away (stdin closes), even if a tool is still running.
  process.stdin.on('end', () => process.exit(0));
  await server.connect(transport);
}
