import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { JobError } from '../errors.js';
import type { JobStore } from '../store/types.js';
import type {
  InputAnswer,
  InputRequest,
  LogMessage,
  ProgressUpdate,
  TaskUpdate,
} from '../upstream/call-handlers.js';
import type { UpstreamApi as Upstream } from '../upstream/upstream-api.js';
import { UpstreamUnavailableError } from '../upstream/upstream.js';
import type { EventInput } from '../domain/events.js';
import { toProgress, type JobRecord, type JobStatus } from '../domain/job.js';
import type { InputForm } from './input-answer.js';
import { PendingInputs, type InputChange } from './pending-inputs.js';

const MAX_LOG_JSON = 64 * 1024;

type FinalStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>;

/**
 * One running job: sends the call upstream, turns its notifications into events, enforces the
 * hard and idle deadlines, and writes the final state exactly once. Every write goes through one
 * queue, so events are stored in the order they happened and nothing follows `done`.
 */
/** Told about every job's start and end (the metrics implement it). */
export interface JobObserver {
  jobStarted(record: JobRecord): void;
  jobFinished(record: JobRecord, durationMs: number): void;
  storeError(operation: string): void;
}

export class JobRun {
  #record: JobRecord;
  readonly #args: Record<string, unknown>;
  readonly #upstream: Upstream;
  readonly #store: JobStore;
  readonly #log: Logger;
  readonly #observer: JobObserver | undefined;
  readonly #jobData: (record: JobRecord) => string;
  readonly #controller = new AbortController();
  #writes: Promise<unknown> = Promise.resolve();
  #finished = false;
  #hardTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #startedAt = performance.now();
  #deadlineAt = Infinity;
  readonly #inputs: PendingInputs;

  constructor(
    record: JobRecord,
    args: Record<string, unknown>,
    deps: {
      upstream: Upstream;
      store: JobStore;
      logger: Logger;
      observer?: JobObserver;
      /** The data of `status` and `done` events (the API's job view). */
      jobData: (record: JobRecord) => string;
      /** How long an input request waits for an answer before the gateway declines it. */
      inputTimeoutMs: number;
    },
  ) {
    this.#record = record;
    this.#args = args;
    this.#upstream = deps.upstream;
    this.#store = deps.store;
    this.#observer = deps.observer;
    this.#jobData = deps.jobData;
    this.#log = deps.logger.child({ jobId: record.id, server: record.server, tool: record.tool });
    this.#inputs = new PendingInputs({
      ttlMs: deps.inputTimeoutMs,
      deadline: () => this.#deadlineAt,
      onChange: (change) => this.#onInputChange(change),
    });
  }

  get id(): string {
    return this.#record.id;
  }

  /** The job as this run last wrote it. */
  get record(): JobRecord {
    return this.#record;
  }

  /** Runs the call to its end; never rejects. */
  async run(): Promise<void> {
    this.#log.info('job started');
    this.#observer?.jobStarted(this.#record);
    this.#startDeadlines();
    this.#update({ status: 'running', startedAt: new Date().toISOString() }, 'status');
    try {
      const result = await this.#upstream.call(
        this.#record.id,
        this.#record.tool,
        this.#args,
        this.#controller.signal,
        {
          onProgress: (u) => this.#onProgress(u),
          onLog: (m) => this.#onLog(m),
          onTask: (u) => this.#onTask(u),
          onInputRequest: (r, signal) => this.#onInputRequest(r, signal),
        },
      );
      if (result.isError) {
        this.#finish('failed', toolError(result), result);
      } else {
        this.#finish('succeeded', null, result);
      }
    } catch (error) {
      // After a cancel or a deadline the job already ended; the call's rejection says nothing new.
      if (!this.#finished) this.#finish('failed', callError(error));
    } finally {
      this.#stopDeadlines();
    }
    await this.#writes;
  }

  /**
   * Ends the job now with `status` and `error` (a cancel, a deadline, shutdown), then aborts the
   * upstream call, which sends `notifications/cancelled`. Resolves with the final record, or
   * undefined if the job had already ended.
   */
  async end(status: FinalStatus, error: JobError): Promise<JobRecord | undefined> {
    if (this.#finished) return undefined;
    this.#finish(status, error);
    this.#controller.abort(new Error(error.message));
    this.#stopDeadlines();
    await this.#writes;
    return this.#record;
  }

  /**
   * The job was ended elsewhere (cancelled on another replica, or declared lost): stop the call
   * (which sends `notifications/cancelled`) and write nothing more; later notifications are dropped.
   */
  abandon(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#inputs.close();
    this.#stopDeadlines();
    this.#controller.abort(new Error('The job was ended elsewhere'));
    this.#log.info('job ended elsewhere; call aborted');
  }

  /** The form of open input request `requestId` (undefined in URL mode), or `missing`. */
  inputForm(requestId: string): InputForm | undefined | 'missing' {
    return this.#finished ? 'missing' : this.#inputs.form(requestId);
  }

  /** Hands a checked answer to the upstream; false when the request is not open (any more). */
  answerInput(requestId: string, answer: InputAnswer): boolean {
    if (this.#finished) return false;
    const answered = this.#inputs.answer(requestId, answer);
    if (answered) this.#log.info({ requestId, action: answer.action }, 'input request answered');
    return answered;
  }

  #onTask(update: TaskUpdate): void {
    if (this.#finished) return;
    const task = { id: update.id, status: update.status };
    const statusMessage =
      update.statusMessage === null ? null : truncate(update.statusMessage, 4096);
    const before = this.#record;
    if (
      before.task?.id === task.id &&
      before.task?.status === task.status &&
      before.statusMessage === statusMessage
    ) {
      return;
    }
    this.#record = { ...before, task, statusMessage };
    this.#changed();
  }

  #onInputRequest(request: InputRequest, signal: AbortSignal): Promise<InputAnswer> {
    if (this.#finished) return Promise.resolve({ action: 'cancel' });
    const answer = this.#inputs.open(request, signal);
    if (answer !== 'invalid-form') return answer;
    this.#onLog({
      level: 'warning',
      logger: 'mcp-progress-gateway',
      data: 'The upstream asked for input with a form schema MCP does not allow; declined',
    });
    return Promise.resolve({ action: 'decline' });
  }

  #onInputChange(change: InputChange): void {
    if (this.#finished) return;
    this.#record = {
      ...this.#record,
      pendingInput: change.pendingInput,
      ...(change.outcome ? { lastInput: change.outcome } : {}),
    };
    const opened = change.outcome ? undefined : change.pendingInput[change.pendingInput.length - 1];
    if (change.outcome) {
      this.#log.info(
        { requestId: change.outcome.requestId, reason: change.outcome.reason },
        'input request closed',
      );
    }
    this.#changed();
    if (opened) this.#write({ type: 'input_required', data: JSON.stringify(opened) });
  }

  /**
   * Writes a `status` event for a change of the job's task, status text or open requests, with
   * the status they imply: `input_required` while the upstream waits for the person. The idle
   * deadline does not run while it waits, and starts again when the job goes on.
   */
  #changed(): void {
    const waiting =
      this.#record.pendingInput.length > 0 || this.#record.task?.status === 'input_required';
    const status: JobStatus = waiting ? 'input_required' : 'running';
    if (status === 'input_required') clearTimeout(this.#idleTimer);
    else this.#idleTimer?.refresh();
    this.#update({ status }, 'status');
  }

  #onProgress(update: ProgressUpdate): void {
    if (this.#finished) return;
    this.#idleTimer?.refresh();
    const message = update.message === undefined ? undefined : truncate(update.message, 4096);
    const progress = toProgress(update.progress, update.total, message);
    this.#record = { ...this.#record, progress };
    this.#write({ type: 'progress', data: JSON.stringify(progress) });
  }

  #onLog(message: LogMessage): void {
    if (this.#finished) return;
    let data = JSON.stringify(message);
    if (data.length > MAX_LOG_JSON) {
      // One huge log line must not blow the event log's memory bound.
      const preview = JSON.stringify(message.data).slice(0, 1000);
      data = JSON.stringify({
        ...message,
        data: { truncated: true, length: data.length, preview },
      });
    }
    this.#write({ type: 'log', data });
  }

  #finish(status: FinalStatus, error: JobError | null, result: unknown = null): void {
    this.#finished = true;
    this.#inputs.close();
    this.#update(
      {
        status,
        error,
        result: result ?? null,
        pendingInput: [],
        finishedAt: new Date().toISOString(),
      },
      'done',
    );
    const durationMs = Math.round(performance.now() - this.#startedAt);
    this.#log.info({ status, errorCode: error?.code, durationMs }, 'job finished');
    this.#observer?.jobFinished(this.#record, durationMs);
  }

  #update(patch: Partial<JobRecord>, type: 'status' | 'done'): void {
    this.#record = { ...this.#record, ...patch };
    this.#write({ type, data: this.#jobData(this.#record) });
  }

  #write(event: EventInput): void {
    const record = this.#record;
    this.#writes = this.#writes
      .then(async () => {
        // Refused: the job already ended elsewhere (e.g. cancelled on another replica).
        if ((await this.#store.commit(record, event)) === undefined) this.abandon();
      })
      .catch((error: unknown) => {
        this.#observer?.storeError('commit');
        this.#log.error({ err: error }, 'could not store a job event');
      });
  }

  #startDeadlines(): void {
    const { timeoutMs, idleTimeoutMs } = this.#record;
    this.#deadlineAt = Date.now() + timeoutMs;
    this.#hardTimer = setTimeout(() => {
      void this.end('failed', {
        code: 'JOB_TIMEOUT',
        message: `The call did not finish within ${timeoutMs} ms`,
      });
    }, timeoutMs);
    this.#idleTimer = setTimeout(() => {
      void this.end('failed', {
        code: 'JOB_IDLE_TIMEOUT',
        message: `No progress arrived for ${idleTimeoutMs} ms`,
      });
    }, idleTimeoutMs);
  }

  #stopDeadlines(): void {
    clearTimeout(this.#hardTimer);
    clearTimeout(this.#idleTimer);
  }
}

function toolError(result: CallToolResult): JobError {
  const text = result.content.find((c) => c.type === 'text')?.text;
  return { code: 'TOOL_ERROR', message: text ? truncate(text) : 'The tool reported an error' };
}

function callError(error: unknown): JobError {
  if (error instanceof UpstreamUnavailableError) {
    return { code: 'UPSTREAM_UNAVAILABLE', message: error.message };
  }
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    return {
      code: 'UPSTREAM_DISCONNECTED',
      message: 'The upstream connection closed before the call finished',
    };
  }
  if (error instanceof McpError) {
    // The SDK prefixes "MCP error <code>: " on each side of the wire; say it once.
    const message = error.message.replace(/^(MCP error -?\d+: )+/, '');
    return { code: 'UPSTREAM_ERROR', message: truncate(`MCP error ${error.code}: ${message}`) };
  }
  if (error instanceof Error) {
    return {
      code: 'UPSTREAM_ERROR',
      message: truncate(`Invalid upstream answer: ${error.message}`),
    };
  }
  return { code: 'INTERNAL_ERROR', message: 'The call failed unexpectedly' };
}

function truncate(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
