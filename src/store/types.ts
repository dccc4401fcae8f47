import type { EventInput, StoredEvent } from '../domain/events.js';
import type { JobRecord, JobStatus } from '../domain/job.js';

/** A request to start a job that carried an `Idempotency-Key`. */
export interface IdempotencyClaim {
  key: string;
  /** A hash of the request body: the same key with another body is a conflict. */
  fingerprint: string;
}

export type InsertResult =
  | { outcome: 'created'; record: JobRecord }
  | { outcome: 'existing'; record: JobRecord }
  | { outcome: 'conflict' };

export interface ListQuery {
  owner: string | null;
  status?: JobStatus;
  server?: string;
  limit: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
}

export interface ListPage {
  records: JobRecord[];
  next: string | null;
}

/** What `follow` hands back: the retained history after the client's cursor, then live events. */
export interface Feed {
  /** Events after `lastEventId` (or all retained ones when it cannot be placed), in order. */
  history: StoredEvent[];
  /** Whether `lastEventId` was a known position in this job's log. */
  placed: boolean;
  /** Whether the log already ends with `done`. */
  ended: boolean;
  /** Stops live delivery; safe to call more than once. */
  stop(): void;
}

/** What a store shared by several gateway replicas needs from this process's job runner. */
export interface RunnerHooks {
  /** Ids of the jobs this process runs now. */
  running(): Iterable<string>;
  /**
   * `jobId`, which this process runs, was ended elsewhere (cancelled on another replica, or
   * declared lost): stop its call and write nothing more for it.
   */
  endedElsewhere(jobId: string): void;
  /** An input request of `jobId`, which this process runs, was answered on another replica. */
  inputAnswered(jobId: string, requestId: string, answer: RelayedAnswer): void;
}

/** An answer to an input request, relayed to the replica that runs the job (content checked). */
export interface RelayedAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/**
 * Where jobs and their event logs live. One interface, one contract suite
 * (test/store/contract.ts) run against every implementation.
 */
export interface JobStore {
  /** Stores a new job, or answers what an earlier request with the same idempotency key made. */
  insert(record: JobRecord, claim?: IdempotencyClaim): Promise<InsertResult>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(query: ListQuery): Promise<ListPage>;
  /**
   * Stores `record` and appends `event` as one step, unless the stored job is missing or already
   * final (then nothing changes and `undefined` is returned). This is how every state change and
   * every progress/log event is written, so nothing lands after `done`.
   */
  commit(record: JobRecord, event: EventInput): Promise<StoredEvent | undefined>;
  /** Forgets a finished job and its events. */
  delete(id: string): Promise<'deleted' | 'running' | 'missing'>;
  /**
   * Reads the history after `lastEventId` and then calls `onLive` with every later event, in
   * order, with no gap and no duplicate at the seam.
   */
  follow(
    jobId: string,
    lastEventId: string | undefined,
    onLive: (event: StoredEvent) => void,
  ): Promise<Feed>;
  /** Whether the store can serve requests now (readiness); the memory store always can. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
  /** Shared stores only: connects the store to this process's runner (leases, cancel relay). */
  attachRunner?(hooks: RunnerHooks): void;
  /** Shared stores only: tells the replica that runs `jobId` that it was ended here. */
  announceEnded?(jobId: string): Promise<void>;
  /**
   * Shared stores only: takes the one right to answer input request `requestId` of `jobId`;
   * true for exactly one caller across every replica, false for everyone after it.
   */
  claimInput?(jobId: string, requestId: string): Promise<boolean>;
  /** Shared stores only: hands an answer to the replica that runs `jobId`. */
  relayInput?(jobId: string, requestId: string, answer: RelayedAnswer): Promise<void>;
  /**
   * Shared stores only (the memory store delivers as it stores): resolves once the events of
   * `jobIds` stored so far have reached this process's live followers.
   */
  delivered?(jobIds: readonly string[]): Promise<void>;
}
