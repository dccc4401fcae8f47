import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** A well-formed `notifications/progress`, as read by `readProgress`. */
export interface ProgressNotice {
  progressToken: string | number;
  progress: number;
  total?: number;
  message?: string;
}

const isNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * The params of a JSON-RPC `notifications/progress` notification whose fields have the types
 * the MCP schema gives them, or undefined for any other message.
 */
export function readProgress(message: unknown): ProgressNotice | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as { jsonrpc?: unknown; method?: unknown; id?: unknown; params?: unknown };
  if (m.method !== 'notifications/progress' || m.jsonrpc !== '2.0' || 'id' in m) return undefined;
  const p = m.params as Partial<Record<keyof ProgressNotice, unknown>> | null | undefined;
  if (typeof p !== 'object' || p === null) return undefined;
  const { progressToken, progress, total, message: text } = p;
  if (typeof progressToken !== 'string' && !isNumber(progressToken)) return undefined;
  if (!isNumber(progress)) return undefined;
  if (total !== undefined && !isNumber(total)) return undefined;
  if (text !== undefined && typeof text !== 'string') return undefined;
  return { progressToken, progress, total, message: text };
}

/**
 * Progress notifications are nearly all of an upstream's traffic during a long call, and the
 * SDK's Protocol tries every incoming message against several zod schemas (three failed parses
 * per notification, each building an error) before it reaches the handler: most of the
 * gateway's CPU per event. Once `transport` is connected, this sends well-formed progress
 * notifications straight to `route`; every other message, malformed progress included, still
 * goes through the SDK as before. Call it after `client.connect(transport)`.
 */
export function routeProgressFirst(
  transport: Transport,
  route: (notice: ProgressNotice) => void,
): void {
  const sdk = transport.onmessage;
  if (!sdk) throw new Error('routeProgressFirst needs a connected transport');
  transport.onmessage = (message, extra) => {
    const notice = readProgress(message);
    // The SDK calls notification handlers one microtask after a message arrives; so does
    // this, so progress and log notifications reach a job in the order they were sent.
    if (notice) queueMicrotask(() => route(notice));
    else sdk.call(transport, message, extra);
  };
}
