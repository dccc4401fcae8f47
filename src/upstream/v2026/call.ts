/**
 * One tool call on a 2026-07-28 upstream, whatever the server makes of it: a plain result; an
 * `input_required` result (multi round-trip: the call is sent again with `inputResponses` and the
 * server's `requestState`); or a task of the `io.modelcontextprotocol/tasks` extension, followed
 * with `tasks/get` (the result comes inline), answered with `tasks/update`, and cancelled with
 * `tasks/cancel` (an acknowledgement only: we stop following either way).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type {
  CallHandlers,
  InputAnswer,
  InputRequest,
  UpstreamTaskStatus,
} from '../call-handlers.js';
import { abortError, type RawChannel, type RawResponse, type RequestListener } from './channel.js';

/** The fastest we poll `tasks/get`, whatever the server's `pollIntervalMs` says. */
export const POLL_FLOOR_MS = 250;
/** How often we poll when the server names no interval. */
const DEFAULT_POLL_MS = 1000;
/** A server that keeps asking for input on the same call is stopped after this many rounds. */
const MAX_INPUT_ROUNDS = 32;

const TASK_STATUSES: readonly UpstreamTaskStatus[] = [
  'working',
  'input_required',
  'completed',
  'failed',
  'cancelled',
];
const TERMINAL = new Set<UpstreamTaskStatus>(['completed', 'failed', 'cancelled']);

export interface CallContext {
  channel: RawChannel;
  token: string;
  tool: string;
  args: Record<string, unknown>;
  signal: AbortSignal;
  handlers: CallHandlers;
  listener: RequestListener;
  /** Timeout of each `tasks/*` request. */
  controlTimeoutMs: number;
  pollFloorMs: number;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The result of a response, or its error as the McpError the v1 path rejects with too. */
function unwrap(response: RawResponse): Json {
  if (response.error) {
    const { code, message, data } = response.error;
    throw new McpError(code, message, data);
  }
  return response.result ?? {};
}

function complete(result: Json): CallToolResult {
  const { resultType: _resultType, ...rest } = result;
  return { content: [], ...rest } as CallToolResult;
}

interface WireTask {
  taskId: string;
  status: UpstreamTaskStatus;
  statusMessage?: string;
  pollIntervalMs?: number;
  inputRequests?: Json;
  result?: Json;
  error?: { code: number; message: string; data?: unknown };
}

function readTask(value: Json): WireTask {
  const { taskId, status, statusMessage, pollIntervalMs } = value;
  if (typeof taskId !== 'string' || !TASK_STATUSES.includes(status as UpstreamTaskStatus)) {
    throw new McpError(ErrorCode.InternalError, 'The upstream sent a malformed task');
  }
  const error = isRecord(value.error) ? value.error : undefined;
  return {
    taskId,
    status: status as UpstreamTaskStatus,
    statusMessage: typeof statusMessage === 'string' ? statusMessage : undefined,
    pollIntervalMs: typeof pollIntervalMs === 'number' ? pollIntervalMs : undefined,
    inputRequests: isRecord(value.inputRequests) ? value.inputRequests : undefined,
    result: isRecord(value.result) ? value.result : undefined,
    error: error && {
      code: typeof error.code === 'number' ? error.code : ErrorCode.InternalError,
      message: typeof error.message === 'string' ? error.message : 'The task failed',
      data: error.data,
    },
  };
}

export async function runCall(c: CallContext): Promise<CallToolResult> {
  // Ends every open input request when the call settles, however it settles.
  const ended = new AbortController();
  const inputSignal = AbortSignal.any([c.signal, ended.signal]);
  try {
    let extra: Json = {};
    for (let round = 0; ; round++) {
      const response = await c.channel.request(
        'tools/call',
        { name: c.tool, arguments: c.args, _meta: { progressToken: c.token }, ...extra },
        { signal: c.signal, listener: c.listener },
      );
      const result = unwrap(response);
      if (result.resultType === 'task') return await followTask(c, readTask(result), inputSignal);
      if (result.resultType !== 'input_required') {
        if (result.resultType === undefined || result.resultType === 'complete') {
          return complete(result);
        }
        throw new McpError(
          ErrorCode.InternalError,
          `The upstream answered with an unsupported resultType: ${String(result.resultType)}`,
        );
      }
      if (round >= MAX_INPUT_ROUNDS) {
        throw new McpError(
          ErrorCode.InternalError,
          `The upstream asked for input more than ${MAX_INPUT_ROUNDS} times in one call`,
        );
      }
      const requests = isRecord(result.inputRequests) ? result.inputRequests : {};
      const inputResponses = await answerAll(c, requests, inputSignal);
      extra = {
        inputResponses,
        ...(typeof result.requestState === 'string' ? { requestState: result.requestState } : {}),
      };
    }
  } finally {
    ended.abort();
  }
}

/** Asks the job layer for every input request at once; resolves with the wire answers. */
async function answerAll(c: CallContext, requests: Json, inputSignal: AbortSignal): Promise<Json> {
  const entries = Object.entries(requests).map(async ([key, request]) => {
    return [key, await answerOne(c, request, inputSignal)] as const;
  });
  const answers = await untilAborted(Promise.all(entries), c.signal);
  return Object.fromEntries(answers);
}

async function answerOne(c: CallContext, request: unknown, inputSignal: AbortSignal) {
  const method = isRecord(request) ? request.method : undefined;
  const params = isRecord(request) && isRecord(request.params) ? request.params : {};
  if (method === 'roots/list') return { roots: [] };
  if (method !== 'elicitation/create') {
    const what = typeof method === 'string' ? method : 'an unknown request';
    c.handlers.onLog({
      level: 'warning',
      logger: 'gateway',
      data: `The upstream asked for ${what}; the gateway does not support it and refused it`,
    });
    throw new McpError(
      ErrorCode.MethodNotFound,
      `The upstream asked for ${what}, which the gateway does not support`,
    );
  }
  const input: InputRequest =
    params.mode === 'url'
      ? {
          mode: 'url',
          message: String(params.message ?? ''),
          url: String(params.url ?? ''),
          ...(typeof params.elicitationId === 'string'
            ? { elicitationId: params.elicitationId }
            : {}),
        }
      : {
          mode: 'form',
          message: String(params.message ?? ''),
          requestedSchema: isRecord(params.requestedSchema) ? params.requestedSchema : {},
        };
  let answer: InputAnswer;
  try {
    answer = await c.handlers.onInputRequest(input, inputSignal);
  } catch (error) {
    if (inputSignal.aborted) answer = { action: 'cancel' };
    else throw error;
  }
  return answer.action === 'accept' && answer.content
    ? { action: 'accept', content: answer.content }
    : { action: answer.action };
}

/** `promise`, or the abort's error as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function followTask(
  c: CallContext,
  created: WireTask,
  inputSignal: AbortSignal,
): Promise<CallToolResult> {
  const taskId = created.taskId;
  let reported: { status: string; statusMessage: string | null } | undefined;
  const report = (task: WireTask) => {
    const statusMessage = task.statusMessage ?? null;
    if (reported?.status === task.status && reported.statusMessage === statusMessage) return;
    reported = { status: task.status, statusMessage };
    c.handlers.onTask({ id: taskId, status: task.status, statusMessage });
  };
  const control = { timeoutMs: c.controlTimeoutMs, listener: c.listener };
  const answered = new Set<string>();
  let task = created;
  // The creation result carries no result or input requests: those come from tasks/get.
  let detailed = false;
  try {
    for (;;) {
      report(task);
      if (detailed && TERMINAL.has(task.status)) return finish(task);
      if (detailed && task.status === 'input_required' && task.inputRequests) {
        const open = Object.entries(task.inputRequests).filter(([key]) => !answered.has(key));
        if (open.length > 0) {
          const inputResponses = await answerAll(c, Object.fromEntries(open), inputSignal);
          for (const [key] of open) answered.add(key);
          unwrap(
            await c.channel.request(
              'tasks/update',
              { taskId, inputResponses },
              { ...control, signal: c.signal },
            ),
          );
        }
      }
      if (detailed || !TERMINAL.has(task.status)) {
        const interval = Math.max(c.pollFloorMs, task.pollIntervalMs ?? DEFAULT_POLL_MS);
        await sleep(interval, undefined, { signal: c.signal }).catch(() => {
          throw abortError(c.signal);
        });
      }
      task = readTask(
        unwrap(await c.channel.request('tasks/get', { taskId }, { ...control, signal: c.signal })),
      );
      detailed = true;
    }
  } catch (error) {
    if (c.signal.aborted) {
      // An acknowledgement at most: the server may keep working. Never holds up the abort.
      c.channel
        .request('tasks/cancel', { taskId }, { timeoutMs: c.controlTimeoutMs })
        .catch(() => {});
      throw abortError(c.signal);
    }
    throw error;
  }
}

function finish(task: WireTask): CallToolResult {
  switch (task.status) {
    case 'completed':
      return complete(task.result ?? {});
    case 'failed': {
      const error = task.error ?? { code: ErrorCode.InternalError, message: 'The task failed' };
      throw new McpError(error.code, error.message, error.data);
    }
    default:
      throw new McpError(ErrorCode.InternalError, 'The upstream cancelled the task');
  }
}
