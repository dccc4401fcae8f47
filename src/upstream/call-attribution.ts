import { RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import type { CallHandlers } from './call-handlers.js';

/**
 * The `_meta` key under which the Streamable HTTP transport's fetch (stream-tags.ts) records
 * which of our requests' response streams carried a message. On a stream we tag, whatever the
 * upstream wrote there is overwritten; elsewhere the upstream could write it, as it could name
 * any related task: attribution trusts the upstream's ties, never guesses beyond them.
 */
export const CARRIED_BY_META_KEY = 'io.github.mcp-progress-gateway/carried-by';

/** What the POST whose response stream carried a message was about. */
export interface StreamTag {
  /** A `tools/call`: its progress token, which is the call's token. */
  progressToken?: string;
  /** A `tasks/result` (or other task request): the task's id. */
  taskId?: string;
}

/** One call in progress on an upstream session. */
export interface ActiveCall {
  token: string;
  handlers: CallHandlers;
  /** Aborts when the call ends, however it ends. */
  signal: AbortSignal;
  /** The upstream task the call follows, once created. */
  taskId?: string;
  /** Task status notifications for this call's task (task-call.ts sets it). */
  onTaskStatus?: (task: unknown) => void;
}

const MAX_EARLY_STATUSES = 64;

/** How a message was tied to a call. */
export type Attribution = 'related-task' | 'response-stream' | 'only-call';

/**
 * The calls in progress on one upstream session, and the rules that tie an upstream's
 * notification or request to one of them (docs/api.md: never to a guess):
 * 1. `_meta["io.modelcontextprotocol/related-task"].taskId` names the task a call follows;
 * 2. the message came on the response stream of one of a call's own requests (Streamable HTTP);
 * 3. the call is the only one on the session.
 * A message that names a task or stream of no current call belongs to none (rule 3 does not
 * apply to it: it is about something else, e.g. a call that just ended).
 */
export class CallRegistry {
  readonly #byToken = new Map<string, ActiveCall>();
  readonly #byTask = new Map<string, ActiveCall>();
  readonly #early = new Map<string, unknown>();

  get size(): number {
    return this.#byToken.size;
  }

  add(call: ActiveCall): void {
    this.#byToken.set(call.token, call);
  }

  delete(token: string): void {
    const call = this.#byToken.get(token);
    if (!call) return;
    this.#byToken.delete(token);
    if (call.taskId !== undefined && this.#byTask.get(call.taskId) === call) {
      this.#byTask.delete(call.taskId);
    }
  }

  get(token: string): ActiveCall | undefined {
    return this.#byToken.get(token);
  }

  /** Records that the call with `token` now follows upstream task `taskId`. */
  setTask(token: string, taskId: string): void {
    const call = this.#byToken.get(token);
    if (!call) return;
    call.taskId = taskId;
    this.#byTask.set(taskId, call);
  }

  byTask(taskId: string): ActiveCall | undefined {
    return this.#byTask.get(taskId);
  }

  /**
   * A `notifications/tasks/status` for `task`: to the call following it, or kept (the latest of
   * a few tasks) for a call whose task creation answer has not been read yet; on Streamable HTTP
   * the notification and that answer travel on different streams.
   */
  taskStatus(task: { taskId: string }): void {
    const call = this.#byTask.get(task.taskId);
    if (call?.onTaskStatus) {
      call.onTaskStatus(task);
      return;
    }
    this.#early.delete(task.taskId);
    this.#early.set(task.taskId, task);
    if (this.#early.size > MAX_EARLY_STATUSES) this.#early.delete(this.#early.keys().next().value!);
  }

  /** The status notification that came for `taskId` before a call followed it, if any. */
  takeEarlyStatus(taskId: string): unknown {
    const task = this.#early.get(taskId);
    this.#early.delete(taskId);
    return task;
  }

  /** The call a message with this `_meta` belongs to, and why; undefined when there is none. */
  attribute(meta: unknown): { call: ActiveCall; via: Attribution } | undefined {
    const m = isRecord(meta) ? meta : {};
    const related = m[RELATED_TASK_META_KEY];
    if (isRecord(related) && typeof related.taskId === 'string') {
      const call = this.#byTask.get(related.taskId);
      return call ? { call, via: 'related-task' } : undefined;
    }
    const tag = m[CARRIED_BY_META_KEY];
    if (isRecord(tag)) {
      const call =
        typeof tag.progressToken === 'string'
          ? this.#byToken.get(tag.progressToken)
          : typeof tag.taskId === 'string'
            ? this.#byTask.get(tag.taskId)
            : undefined;
      return call ? { call, via: 'response-stream' } : undefined;
    }
    if (this.#byToken.size === 1) {
      const [call] = this.#byToken.values();
      return { call: call!, via: 'only-call' };
    }
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
