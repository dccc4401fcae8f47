import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  ErrorCode,
  GetTaskPayloadResultSchema,
  GetTaskResultSchema,
  McpError,
  RELATED_TASK_META_KEY,
  TaskSchema,
  type CallToolResult,
  type ServerCapabilities,
  type Task,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamCallSettings } from '../config/mcp-servers.js';
import type { ActiveCall, CallRegistry } from './call-attribution.js';
import type { UpstreamTaskStatus } from './call-handlers.js';

/**
 * The shortest interval between two `tasks/get` polls of one task, whatever `pollInterval` the
 * upstream asks for: a server asking for 10 ms would otherwise get 100 requests a second per job.
 */
export const TASK_POLL_FLOOR_MS = 250;
/** The poll interval when the upstream names none. */
export const DEFAULT_TASK_POLL_MS = 1000;
/** How long one `tasks/get` may take before the next poll is tried instead. */
const POLL_TIMEOUT_MS = 60_000;
/** How long the best-effort `tasks/cancel` sent on abort may take. */
const CANCEL_TIMEOUT_MS = 5000;
/** How many `tasks/get` in a row may fail to reach the upstream before the call fails. */
const MAX_SEND_FAILURES = 3;
// The longest timer Node accepts; our own deadlines (the job's signal) end calls first.
const NO_SDK_TIMEOUT = 2 ** 31 - 1;

/**
 * Whether a call of `tool` runs as an upstream task (protocol 2025-11-25):
 * - `taskSupport: "required"`: always (with `tasks: "never"` the call fails at once, clearly);
 * - `taskSupport: "optional"`: with `tasks: "always"`, or with `auto` (default) when the upstream
 *   declares `tasks.requests.tools.call`;
 * - otherwise (`forbidden`, absent, or an unknown tool): never.
 */
export function runsAsTask(
  upstream: string,
  tool: Tool | undefined,
  capabilities: ServerCapabilities | undefined,
  setting: UpstreamCallSettings['tasks'] = 'auto',
): boolean {
  const support = tool?.execution?.taskSupport;
  if (support !== 'required' && support !== 'optional') return false;
  if (setting === 'never') {
    if (support === 'optional') return false;
    throw new McpError(
      ErrorCode.InvalidRequest,
      `Tool '${tool!.name}' runs only as a task, and upstream '${upstream}' is configured with tasks: "never"`,
    );
  }
  if (support === 'required' || setting === 'always') return true;
  return capabilities?.tasks?.requests?.tools?.call !== undefined;
}

export interface TaskCallOptions {
  client: Client;
  calls: CallRegistry;
  call: ActiveCall;
  tool: string;
  args: Record<string, unknown>;
  /** The job's signal: abort cancels the task upstream. */
  signal: AbortSignal;
  /** Aborts when the session closes: the call rejects as a lost connection. */
  sessionClosed: AbortSignal;
  log: Logger;
}

/**
 * Calls `tool` as a task and follows it to its result:
 * 1. `tools/call` with `task` and our progress token (progress inside the task keeps flowing by
 *    token to `onProgress`); the CreateTaskResult → `onTask`.
 * 2. The task's status comes from `notifications/tasks/status` (applied at once) and from
 *    `tasks/get` polls every `pollInterval` (at least TASK_POLL_FLOOR_MS; a poll waits a full
 *    interval after the last news, so a server that notifies is polled less). Each change of
 *    status or status text → `onTask`.
 * 3. On `input_required`, `completed` or `failed`, `tasks/result` is called once: it blocks until
 *    the task ends and brings the task's queued elicitations and logs (routed by related task,
 *    input-requests.ts); its answer is the call's result (`isError` kept), its JSON-RPC error
 *    the call's rejection. Polls go on meanwhile for the status text.
 * 4. `cancelled` upstream → rejects. The job's abort → rejects and sends `tasks/cancel` (best
 *    effort, not awaited). The session closing → rejects with ConnectionClosed.
 * A server that answers the `tools/call` with a plain result is taken at its word.
 */
export async function callAsTask(options: TaskCallOptions): Promise<CallToolResult> {
  const { client, call, signal } = options;
  const created = await client.request(
    {
      method: 'tools/call',
      params: {
        name: options.tool,
        arguments: options.args,
        _meta: { progressToken: call.token },
        task: {},
      },
    },
    GetTaskPayloadResultSchema,
    { signal, timeout: NO_SDK_TIMEOUT },
  );
  const creation = CreateTaskResultSchema.safeParse(created);
  if (!creation.success) return CallToolResultSchema.parse(created);
  return new TaskFollower(options, creation.data.task).result;
}

const isTerminal = (status: UpstreamTaskStatus) =>
  status === 'completed' || status === 'failed' || status === 'cancelled';

class TaskFollower {
  readonly result: Promise<CallToolResult>;
  readonly #o: TaskCallOptions;
  readonly #id: string;
  #status: UpstreamTaskStatus | undefined;
  #statusMessage: string | null = null;
  #interval: number = DEFAULT_TASK_POLL_MS;
  #lastNews = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #sendFailures = 0;
  #resultRequested = false;
  #settled = false;
  #resolve!: (result: CallToolResult) => void;
  #reject!: (error: unknown) => void;
  readonly #onAbort = () => this.#aborted();
  readonly #onClosed = () =>
    this.#settle(() => this.#reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed')));

  constructor(options: TaskCallOptions, task: Task) {
    this.#o = options;
    this.#id = task.taskId;
    this.result = new Promise<CallToolResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    options.calls.setTask(options.call.token, task.taskId);
    options.call.onTaskStatus = (news) => this.#news(news);
    options.signal.addEventListener('abort', this.#onAbort, { once: true });
    options.sessionClosed.addEventListener('abort', this.#onClosed, { once: true });
    this.#apply(task);
    const early = options.calls.takeEarlyStatus(task.taskId);
    if (early) this.#news(early);
    if (options.signal.aborted) this.#aborted();
    else if (options.sessionClosed.aborted) this.#onClosed();
    this.#schedule();
  }

  /** A status notification: applied at once, and the next poll waits a full interval. */
  #news(raw: unknown): void {
    const task = TaskSchema.safeParse(raw);
    if (!task.success || this.#settled) return;
    this.#lastNews = Date.now();
    this.#apply(task.data);
    if (!this.#polling) this.#schedule();
  }

  #apply(task: Task): void {
    if (this.#settled) return;
    if (task.pollInterval !== undefined && Number.isFinite(task.pollInterval)) {
      this.#interval = Math.max(TASK_POLL_FLOOR_MS, task.pollInterval);
    }
    // A terminal status is final: a later, older-looking answer does not undo it.
    if (this.#status !== undefined && isTerminal(this.#status)) return;
    const statusMessage = task.statusMessage ?? null;
    if (task.status !== this.#status || statusMessage !== this.#statusMessage) {
      this.#status = task.status;
      this.#statusMessage = statusMessage;
      this.#o.call.handlers.onTask({ id: this.#id, status: task.status, statusMessage });
    }
    if (task.status === 'cancelled') {
      this.#settle(() =>
        this.#reject(
          new McpError(
            ErrorCode.InternalError,
            `The upstream task ${this.#id} was cancelled upstream${statusMessage ? `: ${statusMessage}` : ''}`,
          ),
        ),
      );
    } else if (task.status !== 'working') {
      this.#requestResult();
    }
  }

  #requestResult(): void {
    if (this.#resultRequested) return;
    this.#resultRequested = true;
    this.#o.client
      .request(
        { method: 'tasks/result', params: { taskId: this.#id } },
        GetTaskPayloadResultSchema,
        {
          signal: this.#o.signal,
          timeout: NO_SDK_TIMEOUT,
        },
      )
      .then(
        (payload) => {
          const result = CallToolResultSchema.parse(payload);
          const meta = result._meta;
          if (meta && RELATED_TASK_META_KEY in meta) {
            const { [RELATED_TASK_META_KEY]: _related, ...rest } = meta;
            if (Object.keys(rest).length === 0) delete result._meta;
            else result._meta = rest;
          }
          // tasks/result answers once the task ended: say so if no status said it yet.
          if (this.#status === undefined || !isTerminal(this.#status)) {
            this.#apply({
              taskId: this.#id,
              status: result.isError ? 'failed' : 'completed',
              statusMessage: this.#statusMessage ?? undefined,
              ttl: null,
              createdAt: '',
              lastUpdatedAt: '',
            });
          }
          this.#settle(() => this.#resolve(result));
        },
        (error: unknown) => this.#settle(() => this.#reject(error)),
      );
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#settled || (this.#status !== undefined && isTerminal(this.#status))) return;
    const wait = Math.max(0, this.#lastNews + this.#interval - Date.now());
    this.#timer = setTimeout(() => this.#poll(), wait);
  }

  #poll(): void {
    this.#timer = undefined;
    if (this.#settled) return;
    this.#polling = true;
    this.#o.client
      .request({ method: 'tasks/get', params: { taskId: this.#id } }, GetTaskResultSchema, {
        signal: this.#o.signal,
        timeout: POLL_TIMEOUT_MS,
      })
      .then(
        (task) => {
          this.#lastNews = Date.now();
          this.#sendFailures = 0;
          this.#apply(task);
        },
        (error: unknown) => {
          this.#lastNews = Date.now();
          if (this.#settled) return;
          // A slow answer is retried; with tasks/result under way its answer decides.
          if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return;
          // Not an answer: the request did not get through. The shared session's own check
          // closes a session that is gone (sessionClosed); a few in a row end the call anyway.
          if (!(error instanceof McpError)) {
            if (++this.#sendFailures < MAX_SEND_FAILURES) return;
            const reason = error instanceof Error ? error.message : String(error);
            error = new McpError(
              ErrorCode.ConnectionClosed,
              `Connection closed (the upstream stopped answering: ${reason})`,
            );
          }
          if (this.#resultRequested && !isClosed(error)) {
            this.#o.log.debug(
              { err: error, taskId: this.#id },
              'tasks/get failed; waiting for tasks/result',
            );
            return;
          }
          this.#settle(() => this.#reject(error));
        },
      )
      .finally(() => {
        this.#polling = false;
        this.#schedule();
      });
  }

  #aborted(): void {
    if (this.#settled) return;
    const reason: unknown = this.#o.signal.reason;
    const status = this.#status;
    this.#settle(() =>
      this.#reject(
        reason instanceof McpError
          ? reason
          : new McpError(ErrorCode.RequestTimeout, String(reason)),
      ),
    );
    if (status !== undefined && isTerminal(status)) return;
    // Best effort: the job has ended already; the answer only goes to our debug log.
    this.#o.client
      .request({ method: 'tasks/cancel', params: { taskId: this.#id } }, CancelTaskResultSchema, {
        timeout: CANCEL_TIMEOUT_MS,
      })
      .then(
        (task) =>
          this.#o.log.debug({ taskId: this.#id, status: task.status }, 'upstream task cancelled'),
        (error: unknown) =>
          this.#o.log.debug({ err: error, taskId: this.#id }, 'tasks/cancel failed'),
      );
  }

  #settle(action: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#o.signal.removeEventListener('abort', this.#onAbort);
    this.#o.sessionClosed.removeEventListener('abort', this.#onClosed);
    this.#o.call.onTaskStatus = undefined;
    action();
  }
}

function isClosed(error: unknown): boolean {
  return error instanceof McpError && error.code === ErrorCode.ConnectionClosed;
}
