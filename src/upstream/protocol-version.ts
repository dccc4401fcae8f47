import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { isRecord } from './call-attribution.js';

/** JSON-RPC error code of "Unsupported protocol version" (protocol 2026-07-28). */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/**
 * The versions an upstream named when it refused our initialize for its protocol version, or
 * undefined when `error` is about something else. Over stdio the refusal is a JSON-RPC error
 * (-32022, `data.supported`); over Streamable HTTP an HTTP 400 whose body is that error; a
 * server that answers with a version the SDK does not know makes the SDK throw a plain Error.
 */
export function unsupportedVersions(error: unknown): string[] | undefined {
  if (error instanceof McpError) {
    return error.code === UNSUPPORTED_PROTOCOL_VERSION ? supportedOf(error.data) : undefined;
  }
  if (error instanceof StreamableHTTPError) {
    const start = error.message.indexOf('{');
    if (start === -1) return undefined;
    try {
      const body = JSON.parse(error.message.slice(start)) as unknown;
      const rpc = isRecord(body) && isRecord(body.error) ? body.error : undefined;
      return rpc?.code === UNSUPPORTED_PROTOCOL_VERSION ? supportedOf(rpc.data) : undefined;
    } catch {
      return undefined;
    }
  }
  if (error instanceof Error) {
    const match = /^Server's protocol version is not supported: (.+)$/.exec(error.message);
    if (match) return [match[1]!];
  }
  return undefined;
}

function supportedOf(data: unknown): string[] {
  const supported = isRecord(data) ? data.supported : undefined;
  return Array.isArray(supported) ? supported.filter((v) => typeof v === 'string') : [];
}

/**
 * Records the protocol version the upstream answers `initialize` with. Call before
 * `client.connect(transport)` (the SDK's Protocol keeps a handler set before it connects and
 * calls it first for each message); `version()` is then the negotiated version.
 */
export function captureProtocolVersion(transport: Transport): { version(): string | undefined } {
  let version: string | undefined;
  transport.onmessage = (message) => {
    if (version !== undefined || !('result' in message)) return;
    const result = message.result as Record<string, unknown>;
    if (typeof result.protocolVersion === 'string' && isRecord(result.serverInfo)) {
      version = result.protocolVersion;
    }
  };
  return { version: () => version };
}
