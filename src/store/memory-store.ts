import { GatewayError } from '../errors.js';
import {
  storedEvent,
  type EventFormat,
  type EventInput,
  type StoredEvent,
} from '../domain/events.js';
import { isFinal, type JobRecord } from '../domain/job.js';
import type {
  Feed,
  IdempotencyClaim,
  InsertResult,
  JobStore,
  ListPage,
  ListQuery,
} from './types.js';

/** Limits of the in-memory store. */
export interface MemoryStoreOptions {
  /** How long a finished job is kept after it finished. */
  retentionMs: number;
  /** Jobs held at most; when full, the oldest finished job is evicted first. */
  maxJobs: number;
  /** Events per job at most; past it the oldest progress/log events go first. */
  maxEventsPerJob: number;
  /** How each event's frame is built (the HTTP layer's). */
  format: EventFormat;
  /** Injected for tests. */
  now?: () => number;
}

interface Entry {
  record: JobRecord;
  /** The retained events, in order; `seqs[i]` is the sequence number of `events[i]`. */
  events: StoredEvent[];
  seqs: number[];
  nextSeq: number;
  /** Seq of the newest progress event, which retention always keeps. */
  latestProgressSeq: number;
  /** Part of every event id, so that an id from another job is never mistaken for ours. */
  tag: string;
  listeners: Set<(event: StoredEvent) => void>;
  idempotencyKey?: string;
  fingerprint?: string;
  expiresAt: number;
}

const EVENT_ID = /^([0-9a-v]{6})\.([1-9][0-9]{0,15})$/;

/**
 * The default store: everything in this process. Bounded in jobs and in events per job; finished
 * jobs expire after `retentionMs`. Eviction order when `maxJobs` is reached: the oldest finished
 * job first; if every job is still running, new jobs are refused with TOO_MANY_JOBS.
 */
export class MemoryStore implements JobStore {
  readonly #jobs = new Map<string, Entry>();
  readonly #idempotency = new Map<string, string>();
  readonly #options: MemoryStoreOptions;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(options.retentionMs, 60_000));
    this.#sweeper.unref();
  }

  /** Jobs held now (for tests and metrics). */
  get size(): number {
    return this.#jobs.size;
  }

  /** Live followers of a job's events now (0 for an unknown job); read-only, for tests. */
  listenerCount(jobId: string): number {
    return this.#jobs.get(jobId)?.listeners.size ?? 0;
  }

  async insert(record: JobRecord, claim?: IdempotencyClaim): Promise<InsertResult> {
    const idemKey = claim && idempotencyKey(record.owner, claim.key);
    if (idemKey !== undefined) {
      const existing = this.#live(this.#idempotency.get(idemKey));
      if (existing) {
        return existing.fingerprint === claim!.fingerprint
          ? { outcome: 'existing', record: existing.record }
          : { outcome: 'conflict' };
      }
    }
    if (this.#jobs.size >= this.#options.maxJobs) this.#evictOne();
    const entry: Entry = {
      record,
      events: [],
      seqs: [],
      nextSeq: 1,
      latestProgressSeq: 0,
      tag: record.id.slice(-6),
      listeners: new Set(),
      expiresAt: Number.POSITIVE_INFINITY,
    };
    if (idemKey !== undefined) {
      entry.idempotencyKey = idemKey;
      entry.fingerprint = claim!.fingerprint;
      this.#idempotency.set(idemKey, record.id);
    }
    this.#jobs.set(record.id, entry);
    return { outcome: 'created', record };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.#live(id)?.record;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const matching: JobRecord[] = [];
    for (const entry of this.#jobs.values()) {
      const r = entry.record;
      if (entry.expiresAt <= this.#now()) continue;
      if (r.owner !== query.owner) continue;
      if (query.status && r.status !== query.status) continue;
      if (query.server && r.server !== query.server) continue;
      if (query.cursor && r.id >= query.cursor) continue;
      matching.push(r);
    }
    matching.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const records = matching.slice(0, query.limit);
    const next = matching.length > query.limit ? records[records.length - 1]!.id : null;
    return { records, next };
  }

  async commit(record: JobRecord, input: EventInput): Promise<StoredEvent | undefined> {
    const entry = this.#live(record.id);
    if (!entry || isFinal(entry.record.status)) return undefined;
    const seq = entry.nextSeq++;
    const event = storedEvent(this.#options.format, `${entry.tag}.${seq}`, input.type, input.data);
    entry.record = record;
    entry.events.push(event);
    entry.seqs.push(seq);
    if (input.type === 'progress') entry.latestProgressSeq = seq;
    if (entry.events.length > this.#options.maxEventsPerJob) dropOldest(entry);
    if (isFinal(record.status)) entry.expiresAt = this.#now() + this.#options.retentionMs;
    // A listener may stop another one (or follow anew) while this event is handed out: iterate a
    // copy, but skip listeners stopped meanwhile, since nothing is delivered after stop().
    for (const listener of [...entry.listeners]) {
      if (entry.listeners.has(listener)) listener(event);
    }
    return event;
  }

  async delete(id: string): Promise<'deleted' | 'running' | 'missing'> {
    const entry = this.#live(id);
    if (!entry) return 'missing';
    if (!isFinal(entry.record.status)) return 'running';
    this.#remove(id, entry);
    return 'deleted';
  }

  async follow(
    jobId: string,
    lastEventId: string | undefined,
    onLive: (event: StoredEvent) => void,
  ): Promise<Feed> {
    const entry = this.#live(jobId);
    if (!entry) return { history: [], placed: false, ended: false, stop: () => {} };
    const after = placeCursor(entry, lastEventId);
    const history = after === undefined ? entry.events.slice() : eventsAfter(entry, after);
    entry.listeners.add(onLive);
    return {
      history,
      placed: after !== undefined,
      ended: entry.events.at(-1)?.type === 'done',
      stop: () => entry.listeners.delete(onLive),
    };
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** The entry for `id` unless it has expired (then it is removed). */
  #live(id: string | undefined): Entry | undefined {
    if (id === undefined) return undefined;
    const entry = this.#jobs.get(id);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#remove(id, entry);
      return undefined;
    }
    return entry;
  }

  #remove(id: string, entry: Entry): void {
    this.#jobs.delete(id);
    if (entry.idempotencyKey !== undefined) this.#idempotency.delete(entry.idempotencyKey);
    entry.listeners.clear();
  }

  #evictOne(): void {
    for (const [id, entry] of this.#jobs) {
      if (isFinal(entry.record.status)) {
        this.#remove(id, entry);
        return;
      }
    }
    throw new GatewayError(
      'TOO_MANY_JOBS',
      `The gateway already holds ${this.#options.maxJobs} running jobs (MAX_JOBS); try again later`,
      { headers: { 'retry-after': '5' } },
    );
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#jobs) {
      if (entry.expiresAt <= now) this.#remove(id, entry);
    }
  }
}

function idempotencyKey(owner: string | null, key: string): string {
  return `${owner ?? ''}\u0000${key}`;
}

/** The sequence number a client's Last-Event-ID stands for, or undefined if it cannot be placed. */
function placeCursor(entry: Entry, lastEventId: string | undefined): number | undefined {
  if (lastEventId === undefined) return undefined;
  const match = EVENT_ID.exec(lastEventId);
  if (!match || match[1] !== entry.tag) return undefined;
  const seq = Number(match[2]);
  if (seq >= entry.nextSeq) return undefined;
  // Older than everything retained: start from the earliest retained event (same as after seq).
  return seq;
}

function eventsAfter(entry: Entry, seq: number): StoredEvent[] {
  let lo = 0;
  let hi = entry.seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entry.seqs[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return entry.events.slice(lo);
}

/** Drops the oldest progress or log event, keeping the newest progress (and every status/done). */
function dropOldest(entry: Entry): void {
  for (let i = 0; i < entry.events.length; i++) {
    const event = entry.events[i]!;
    const droppable =
      event.type === 'log' ||
      (event.type === 'progress' && entry.seqs[i] !== entry.latestProgressSeq);
    if (droppable) {
      entry.events.splice(i, 1);
      entry.seqs.splice(i, 1);
      return;
    }
  }
}
