import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ElicitRequestSchema,
  ErrorCode,
  LoggingMessageNotificationSchema,
  TaskStatusNotificationSchema,
  type ElicitRequest,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { CallRegistry } from './call-attribution.js';
import type { InputAnswer, InputRequest } from './call-handlers.js';

/** The logger name of the gateway's own messages in a job's log stream. */
export const GATEWAY_LOGGER = 'mcp-progress-gateway';

/** Requests from an upstream that the gateway refuses, with what it tells the job. */
const REFUSED: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/**
 * The client capabilities the gateway declares: form and URL mode elicitation (the job layer asks
 * the person). No sampling and no roots (refused below), no client-side task support.
 */
export const CLIENT_CAPABILITIES = { elicitation: { form: {}, url: {} } } as const;

/**
 * Routes what an upstream session sends on its own to the call it belongs to (call-attribution.ts):
 * - `notifications/message` → that call's `onLog`; dropped when it belongs to no call;
 * - `elicitation/create` → that call's `onInputRequest`, whose answer goes back upstream; `cancel`
 *   when the call ends first; `decline` (and a warning in our log) when it belongs to no call;
 * - `sampling/createMessage`, `roots/list` → refused (-32601, saying the gateway does not support
 *   it), and the call, if any, gets a warning log saying so;
 * - `notifications/tasks/status` → the call following that task (task-call.ts).
 * Call before `client.connect`. Progress goes by token and is routed elsewhere (upstream.ts).
 */
export function routeToCalls(client: Client, calls: CallRegistry, log: Logger): void {
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const found = calls.attribute(n.params._meta);
    if (!found) return;
    found.call.handlers.onLog({
      level: n.params.level,
      logger: n.params.logger ?? null,
      data: n.params.data,
    });
  });

  client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
    calls.taskStatus(n.params);
  });

  client.setRequestHandler(ElicitRequestSchema, async (request, extra): Promise<ElicitResult> => {
    const found = calls.attribute(request.params._meta);
    if (!found) {
      log.warn(
        { method: request.method, activeCalls: calls.size },
        'an upstream input request belongs to no call (no related task, response stream or single call); declined',
      );
      return { action: 'decline' };
    }
    const { call } = found;
    const signal = AbortSignal.any([call.signal, extra.signal]);
    if (signal.aborted) return { action: 'cancel' };
    let onAbort: () => void = () => {};
    const aborted = new Promise<InputAnswer>((resolve) => {
      onAbort = () => resolve({ action: 'cancel' });
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const answer = await Promise.race([
        call.handlers.onInputRequest(toInputRequest(request), signal),
        aborted,
      ]);
      return toElicitResult(answer);
    } catch (error) {
      log.warn(
        { err: error, token: call.token },
        'the input request could not be answered; cancelled',
      );
      return { action: 'cancel' };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  });

  // Sampling and roots cannot be registered without declaring them, so they land here.
  client.fallbackRequestHandler = async (request) => {
    const feature = REFUSED[request.method];
    if (!feature) throw refusal('Method not found');
    const message = `mcp-progress-gateway does not support ${feature}`;
    const found = calls.attribute((request.params as { _meta?: unknown } | undefined)?._meta);
    if (found) {
      found.call.handlers.onLog({
        level: 'warning',
        logger: GATEWAY_LOGGER,
        data: `The upstream asked for ${feature} (${request.method}); ${message}, so the request was refused`,
      });
    } else {
      log.warn({ method: request.method }, `${message}; refused a request that belongs to no call`);
    }
    throw refusal(message);
  };
}

/** A -32601 error whose message goes on the wire as it is (McpError would prefix it). */
function refusal(message: string): Error {
  return Object.assign(new Error(message), { code: ErrorCode.MethodNotFound });
}

function toInputRequest(request: ElicitRequest): InputRequest {
  const { params } = request;
  if (params.mode === 'url') {
    return {
      mode: 'url',
      message: params.message,
      url: params.url,
      elicitationId: params.elicitationId,
    };
  }
  return {
    mode: 'form',
    message: params.message,
    requestedSchema: params.requestedSchema as Record<string, unknown>,
  };
}

function toElicitResult(answer: InputAnswer): ElicitResult {
  if (answer.action === 'accept') {
    return answer.content === undefined
      ? { action: 'accept' }
      : { action: 'accept', content: answer.content as ElicitResult['content'] };
  }
  return { action: answer.action === 'decline' ? 'decline' : 'cancel' };
}
