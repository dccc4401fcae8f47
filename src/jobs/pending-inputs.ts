import { randomBytes } from 'node:crypto';
import type { InputOutcome, PendingInput } from '../domain/job.js';
import type { InputAnswer, InputRequest } from '../upstream/call-handlers.js';
import { InputForm } from './input-answer.js';

/** Request ids: 96 random bits, URL-safe. */
export const INPUT_REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;

interface OpenRequest {
  pending: PendingInput;
  form: InputForm | undefined;
  timer: NodeJS.Timeout;
  settle(answer: InputAnswer, reason: InputOutcome['reason']): void;
}

/** What a change to the open requests means for the job: what to store and say. */
export interface InputChange {
  pendingInput: PendingInput[];
  /** Set when a request left the list (answered, expired, or the job ended). */
  outcome?: InputOutcome;
}

/**
 * The input requests of one running job that wait for an answer: each gets an opaque id and an
 * expiry (declined by the gateway when nobody answers in time), and its answer is handed to the
 * upstream call that asked. Every change is reported through `onChange`, in order, so the job
 * can store it and tell its subscribers.
 */
export class PendingInputs {
  readonly #open = new Map<string, OpenRequest>();
  readonly #ttlMs: number;
  readonly #deadline: () => number;
  readonly #onChange: (change: InputChange) => void;

  /**
   * @param ttlMs how long a request waits for an answer
   * @param deadline when the job's hard deadline passes (epoch ms): no request outlives it
   */
  constructor(options: {
    ttlMs: number;
    deadline: () => number;
    onChange: (change: InputChange) => void;
  }) {
    this.#ttlMs = options.ttlMs;
    this.#deadline = options.deadline;
    this.#onChange = options.onChange;
  }

  get size(): number {
    return this.#open.size;
  }

  list(): PendingInput[] {
    return [...this.#open.values()].map((open) => open.pending);
  }

  /**
   * Opens `request`: resolves with the answer to send upstream (a client's, or `decline` at
   * expiry). When `signal` aborts first the request is dropped and the promise resolves `cancel`
   * (the upstream layer answers the upstream itself). A form whose schema is not one MCP allows
   * is not opened (`invalid-form`): no answer to it could be checked.
   */
  open(request: InputRequest, signal: AbortSignal): Promise<InputAnswer> | 'invalid-form' {
    const form = request.mode === 'form' ? InputForm.from(request.requestedSchema) : undefined;
    if (request.mode === 'form' && !form) return 'invalid-form';
    if (signal.aborted) return Promise.resolve({ action: 'cancel' });
    const requestId = randomBytes(12).toString('base64url');
    const expiresAt = Math.min(Date.now() + this.#ttlMs, this.#deadline());
    const pending: PendingInput = {
      requestId,
      kind: 'elicitation',
      mode: request.mode,
      message: request.message,
      ...(form ? { requestedSchema: request.requestedSchema } : {}),
      ...(request.mode === 'url' && request.url !== undefined ? { url: request.url } : {}),
      expiresAt: new Date(expiresAt).toISOString(),
    };
    return new Promise<InputAnswer>((resolve) => {
      const onAbort = () => settle({ action: 'cancel' }, 'ended');
      const settle = (answer: InputAnswer, reason: InputOutcome['reason']) => {
        if (!this.#open.delete(requestId)) return;
        clearTimeout(open.timer);
        signal.removeEventListener('abort', onAbort);
        const content = answer.content ? (form?.redact(answer.content) ?? answer.content) : null;
        this.#onChange({
          pendingInput: this.list(),
          outcome: {
            requestId,
            action: answer.action,
            content,
            reason,
            at: new Date().toISOString(),
          },
        });
        resolve(answer);
      };
      const open: OpenRequest = {
        pending,
        form,
        settle,
        timer: setTimeout(
          () => settle({ action: 'decline' }, 'expired'),
          Math.max(0, expiresAt - Date.now()),
        ),
      };
      this.#open.set(requestId, open);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#onChange({ pendingInput: this.list() });
    });
  }

  /** The form of open request `requestId` (undefined in URL mode), or `missing`. */
  form(requestId: string): InputForm | undefined | 'missing' {
    const open = this.#open.get(requestId);
    return open ? open.form : 'missing';
  }

  /** Answers open request `requestId` (content already checked); false when it is not open. */
  answer(requestId: string, answer: InputAnswer): boolean {
    const open = this.#open.get(requestId);
    if (!open) return false;
    open.settle(answer, 'answered');
    return true;
  }

  /** The job ended: every open request is dropped (answered `cancel` upstream, if still asked). */
  close(): void {
    for (const open of [...this.#open.values()]) open.settle({ action: 'cancel' }, 'ended');
  }
}
