import { randomBytes } from 'node:crypto';
import type { JobError } from '../errors.js';

/**
 * A job's lifecycle: `queued` → `running` ⇄ `input_required` → one of the final states
 * (`input_required`: the upstream waits for an answer from the person, see `pendingInput`).
 */
export type JobStatus =
  'queued' | 'running' | 'input_required' | 'succeeded' | 'failed' | 'cancelled';

/** The states a job never leaves. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/** Whether `status` is final (nothing is written for the job after its `done`). */
export const isFinal = (status: JobStatus): boolean => FINAL_STATUSES.has(status);

/** The latest progress of a job, as clients see it. */
export interface Progress {
  progress: number;
  total: number | null;
  message: string | null;
  /** `progress / total` as a percentage, `null` while `total` is unknown. */
  percent: number | null;
}

/** The upstream task a task-backed job follows: the upstream's id and its latest status. */
export interface JobTask {
  id: string;
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
}

/** A question from the upstream that waits for an answer (`POST /v1/jobs/{id}/input`). */
export interface PendingInput {
  /** The gateway's own id for the request (opaque). */
  requestId: string;
  kind: 'elicitation';
  mode: 'form' | 'url';
  message: string;
  /** Form mode: the JSON Schema the answer's `content` must satisfy. */
  requestedSchema?: Record<string, unknown>;
  /** URL mode: where the person should go. */
  url?: string;
  /** When the gateway declines the request if nobody has answered it. */
  expiresAt: string;
}

/** How the latest input request ended, as the job's `status` event says it. */
export interface InputOutcome {
  requestId: string;
  action: 'accept' | 'decline' | 'cancel';
  /** The answer's content (sensitive fields redacted), `null` without one. */
  content: Record<string, unknown> | null;
  /** `answered` by a client, `expired` (declined by the gateway at `expiresAt`), or the job `ended`. */
  reason: 'answered' | 'expired' | 'ended';
  at: string;
}

/** What the store keeps of a job. Arguments are not kept: only the running replica needs them. */
export interface JobRecord {
  id: string;
  /** The API key name that started the job; `null` when the gateway runs open. */
  owner: string | null;
  server: string;
  tool: string;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: Progress | null;
  result: unknown;
  error: JobError | null;
  /** The upstream's latest human-readable status text (a task's `statusMessage`). */
  statusMessage: string | null;
  /** Set when the job runs as an upstream task. */
  task: JobTask | null;
  /** Input requests still waiting for an answer. */
  pendingInput: PendingInput[];
  /** How the latest input request ended. */
  lastInput: InputOutcome | null;
  timeoutMs: number;
  idleTimeoutMs: number;
}

/** Job ids: a time prefix (so ids sort by creation) and 80 random bits, lowercase base32. */
export const JOB_ID_PATTERN = /^[0-9a-v]{26}$/;

const BASE32 = '0123456789abcdefghijklmnopqrstuv';

let lastTime = -1;
let lastTail: number[] = [];

/**
 * Ids made in the same millisecond continue from the previous one (its random part plus one),
 * so this process's ids sort in creation order and `GET /v1/jobs` is really newest first.
 */
export function newJobId(now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = BASE32[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let digits: number[];
  if (now === lastTime) {
    digits = lastTail.slice();
    for (let i = 15; i >= 0 && ++digits[i]! === 32; i--) digits[i] = 0;
  } else {
    digits = [...randomBytes(16)].map((byte) => byte & 31);
  }
  lastTime = now;
  lastTail = digits;
  return time + digits.map((d) => BASE32[d]).join('');
}

/** A progress notification as clients see it, with `percent` worked out when `total` is known. */
export function toProgress(progress: number, total?: number, message?: string): Progress {
  const known = typeof total === 'number' && Number.isFinite(total) && total > 0;
  return {
    progress,
    total: known ? total : null,
    message: message ?? null,
    percent: known ? Math.min(100, Math.round((progress / total) * 10_000) / 100) : null,
  };
}
