/**
 * mcp-progress-gateway/client: call MCP tools through the gateway from a browser or Node 20+,
 * with a progress handler, as MCP clients do, and without dealing with job ids, SSE framing or
 * reconnects. No dependencies: only `fetch`, `AbortController`, `TextDecoder` and
 * `ReadableStream`.
 */
export {
  GatewayClient,
  type CallToolOptions,
  type GatewayClientOptions,
  type RequestOptions,
  type StartJobOptions,
} from './client.js';
export {
  GatewayAbortError,
  GatewayClientError,
  isGatewayClientError,
  type ClientErrorCode,
  type ClientOnlyCode,
  type GatewayClientErrorOptions,
} from './errors.js';
export { type Watch, type WatchHandlers, type WatchOptions } from './job-stream.js';
export { DEFAULT_RECONNECT, type ReconnectOptions } from './reconnecting-reader.js';
export { SseParser, type SseMessage, type SseParserHandlers } from './sse-parser.js';
export type * from './types.js';
export type { components, operations, paths } from './openapi-types.js';
export * from './multi-watch.js';
export type { EventSourceConstructor, EventSourceLike } from './events-connection.js';
