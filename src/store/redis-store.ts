import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import {
  storedEvent,
  type EventFormat,
  type EventInput,
  type JobEventType,
  type StoredEvent,
} from '../domain/events.js';
import { isFinal, type JobRecord, type JobStatus } from '../domain/job.js';
import { StreamReader } from './redis-reader.js';
import { Leases } from './redis-leases.js';
import { COMMIT, DELETE, FOLLOW, INSERT } from './redis-scripts.js';
import type {
  Feed,
  IdempotencyClaim,
  InsertResult,
  JobStore,
  ListPage,
  ListQuery,
  RelayedAnswer,
  RunnerHooks,
} from './types.js';

/** Settings of the Redis store. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Put before every key (and the cancel channel). */
  keyPrefix: string;
  /** How long a finished job, its events and its idempotency key are kept (a Redis TTL). */
  retentionMs: number;
  /** Events per job at most; past it the oldest progress/log events go first. */
  maxEventsPerJob: number;
  /** A replica whose lease is this old is presumed dead; its running jobs are failed. */
  leaseTtlMs: number;
  /** How often the lease is renewed and dead replicas are looked for. */
  leaseRenewMs: number;
  logger: Logger;
  /**
   * How each event's frame is built, and the `done` data of a job this store ends itself (its
   * replica was lost): the HTTP layer's, so those bytes are exactly what the job service writes.
   */
  format: EventFormat;
  /** A command that gets no answer in this long fails (Redis hung). Default 5 s. */
  commandTimeoutMs?: number;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['status', 'progress', 'log', 'done']);

/** `<tag>.<stream entry id>`: the tag (end of the job id) keeps another job's ids unplaceable. */
const EVENT_ID = /^([0-9a-v]{6})\.((?:0|[1-9][0-9]{0,14})-(?:0|[1-9][0-9]{0,14}))$/;

/** Redis answers that mean "not now" rather than "wrong": the store is unavailable. */
const TRANSIENT_REPLY =
  /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

const LIST_BATCH = 100;

/**
 * Jobs and event logs in Redis, shared by every gateway replica (see redis-scripts.ts for the
 * keys). Each job's log is a Redis Stream whose entry ids, tagged with the job, are the SSE ids.
 *
 * Three connections per process: commands (fail fast while Redis is down, so requests get
 * STORE_UNAVAILABLE instead of hanging), the one blocking reader (redis-reader.ts) and a
 * subscriber for the cancel relay. Each replica holds a lease (renewed every `leaseRenewMs`);
 * a replica that finds another's lease expired fails that replica's running jobs with
 * GATEWAY_INSTANCE_LOST. Requires a single Redis (not Cluster) with `maxmemory-policy noeviction`;
 * with persistence off a Redis restart forgets every job.
 */
export class RedisStore implements JobStore {
  readonly #options: RedisStoreOptions;
  readonly #log: Logger;
  readonly #cmd: Redis;
  readonly #blocking: Redis;
  readonly #sub: Redis;
  readonly #reader: StreamReader<StoredEvent>;
  readonly #instance = randomUUID();
  readonly #prefix: string;
  readonly #timer: NodeJS.Timeout;
  readonly #leases: Leases;
  #hooks: RunnerHooks | undefined;
  #connectedSince: number | undefined;
  #down = false;
  #maintaining: Promise<void> | undefined;
  #closed = false;
  #checked = false;

  constructor(options: RedisStoreOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#prefix = options.keyPrefix;
    const base: RedisOptions = {
      // Reconnect for ever, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      // While Redis is down, commands fail at once and in-flight ones are rejected, never
      // queued or re-sent later (a re-sent XADD would duplicate an event).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: 5000,
      // A socket that never connected does not close on end(): do not hold the process for it.
      disconnectTimeout: 200,
    };
    this.#cmd = new Redis(options.url, {
      ...base,
      connectionName: 'mcp-gateway:commands',
      commandTimeout: options.commandTimeoutMs ?? 5000,
    });
    this.#blocking = new Redis(options.url, { ...base, connectionName: 'mcp-gateway:reader' });
    // The subscriber queues SUBSCRIBE until connected and re-subscribes after each reconnect.
    this.#sub = new Redis(options.url, {
      retryStrategy: base.retryStrategy,
      disconnectTimeout: base.disconnectTimeout,
      maxRetriesPerRequest: null,
      connectionName: 'mcp-gateway:cancel-relay',
    });

    this.#cmd.on('ready', () => {
      this.#connectedSince = Date.now();
      if (this.#down) this.#log.info('redis is reachable again');
      this.#down = false;
      void this.#maintain();
      if (!this.#checked) {
        this.#checked = true;
        void this.#checkSettings();
      }
    });
    this.#cmd.on('close', () => (this.#connectedSince = undefined));
    this.#cmd.on('error', (error: Error) => {
      if (!this.#down) this.#log.warn({ err: error }, 'redis is unreachable; retrying');
      this.#down = true;
    });
    // Their failures are the same outage, already reported by the command connection.
    this.#blocking.on('error', () => {});
    this.#sub.on('error', () => {});

    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === this.#endedChannel) this.#hooks?.endedElsewhere(message);
      else if (channel === this.#inputChannel) this.#onRelayedInput(message);
    });
    this.#sub.subscribe(this.#endedChannel, this.#inputChannel).catch(() => {});

    const eventsPrefix = `${this.#prefix}events:`;
    this.#reader = new StreamReader<StoredEvent>({
      blocking: this.#blocking,
      command: this.#cmd,
      logger: this.#log,
      decode: (key, id, fields) =>
        decodeEntry(options.format, key.slice(eventsPrefix.length), id, fields)?.event,
    });
    this.#leases = new Leases({
      redis: this.#cmd,
      prefix: this.#prefix,
      instance: this.#instance,
      ttlMs: options.leaseTtlMs,
      logger: this.#log,
      finish: async (final) =>
        (await this.#append(final, { type: 'done', data: options.format.jobData(final) })) !== null,
    });
    this.#timer = setInterval(() => void this.#maintain(), options.leaseRenewMs);
    this.#timer.unref();
  }

  /** Creates the store and waits (up to `waitMs`) for Redis; an unreachable Redis is not fatal. */
  static async open(options: RedisStoreOptions, waitMs = 5000): Promise<RedisStore> {
    const store = new RedisStore(options);
    if (!(await store.#waitReady(waitMs))) {
      options.logger.warn('redis is not reachable yet; the gateway is not ready until it is');
    }
    return store;
  }

  /** Whether Redis answers now (readiness). */
  async ready(): Promise<boolean> {
    if (this.#cmd.status !== 'ready') return false;
    try {
      return (await this.#cmd.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** This replica's lease name (for tests and logs). */
  get instanceId(): string {
    return this.#instance;
  }

  /** Streams this process's blocking reader follows now (for tests and metrics). */
  get followedStreams(): number {
    return this.#reader.size;
  }

  attachRunner(hooks: RunnerHooks): void {
    this.#hooks = hooks;
  }

  async announceEnded(jobId: string): Promise<void> {
    await this.#call(() => this.#cmd.publish(this.#endedChannel, jobId));
  }

  async claimInput(jobId: string, requestId: string): Promise<boolean> {
    const key = `${this.#prefix}input:${jobId}:${requestId}`;
    // Kept as long as a finished job: an answer after that finds no job anyway.
    const set = await this.#call(() =>
      this.#cmd.set(key, '1', 'PX', Math.max(this.#options.retentionMs, 60_000) * 2, 'NX'),
    );
    return set === 'OK';
  }

  async relayInput(jobId: string, requestId: string, answer: RelayedAnswer): Promise<void> {
    const message = JSON.stringify({ jobId, requestId, answer });
    await this.#call(() => this.#cmd.publish(this.#inputChannel, message));
  }

  #onRelayedInput(message: string): void {
    let parsed: { jobId?: unknown; requestId?: unknown; answer?: RelayedAnswer };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    const { jobId, requestId, answer } = parsed;
    if (typeof jobId !== 'string' || typeof requestId !== 'string' || !answer) return;
    this.#hooks?.inputAnswered(jobId, requestId, answer);
  }

  async insert(record: JobRecord, claim?: IdempotencyClaim): Promise<InsertResult> {
    const keys = [
      this.#jobKey(record.id),
      this.#indexKey(record.owner),
      this.#runningKey(this.#instance),
      this.#instancesKey,
    ];
    if (claim) keys.push(`${this.#prefix}idem:${ownerToken(record.owner)}:${claim.key}`);
    const reply = (await this.#call(() =>
      INSERT.run(this.#cmd, keys, [
        record.id,
        JSON.stringify(record),
        record.status,
        record.server,
        claim?.fingerprint ?? '',
        this.#instance,
        this.#options.leaseTtlMs,
        this.#prefix,
      ]),
    )) as [string, string?];
    if (reply[0] === 'existing') {
      return { outcome: 'existing', record: JSON.parse(reply[1]!) as JobRecord };
    }
    if (reply[0] === 'conflict') return { outcome: 'conflict' };
    return { outcome: 'created', record };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const rec = await this.#call(() => this.#cmd.hget(this.#jobKey(id), 'rec'));
    return rec === null ? undefined : (JSON.parse(rec) as JobRecord);
  }

  /**
   * Walks the owner's index newest first and filters as it goes: cost grows with the jobs a
   * filter skips, which retention bounds. Ids whose job has expired are dropped on the way.
   */
  async list(query: ListQuery): Promise<ListPage> {
    const index = this.#indexKey(query.owner);
    const found: JobRecord[] = [];
    const stale: string[] = [];
    let upper = query.cursor === undefined ? '+' : `(${query.cursor}`;
    const batch = Math.min(Math.max(query.limit + 1, LIST_BATCH), 1000);
    while (found.length <= query.limit) {
      const ids = await this.#call(() =>
        this.#cmd.zrevrangebylex(index, upper, '-', 'LIMIT', 0, batch),
      );
      if (ids.length === 0) break;
      const pipeline = this.#cmd.pipeline();
      for (const id of ids) pipeline.hmget(this.#jobKey(id), 'status', 'server', 'rec');
      const rows = (await this.#call(() => pipeline.exec())) ?? [];
      for (const [i, [error, row]] of rows.entries()) {
        if (error) throw storeError(error);
        const [status, server, rec] = row as (string | null)[];
        if (rec === null || rec === undefined) {
          stale.push(ids[i]!);
          continue;
        }
        if (query.status !== undefined && status !== query.status) continue;
        if (query.server !== undefined && server !== query.server) continue;
        found.push(JSON.parse(rec) as JobRecord);
        if (found.length > query.limit) break;
      }
      if (ids.length < batch) break;
      upper = `(${ids.at(-1)!}`;
    }
    if (stale.length > 0) this.#cmd.zrem(index, ...stale).catch(() => {});
    const records = found.slice(0, query.limit);
    const next = found.length > query.limit ? records.at(-1)!.id : null;
    return { records, next };
  }

  /**
   * A final record is retried while Redis is briefly unreachable (for up to the lease TTL), so a
   * job's outcome survives a Redis restart; a retry after a lost reply finds the job final and
   * changes nothing. Progress and log events are not retried.
   */
  async commit(record: JobRecord, input: EventInput): Promise<StoredEvent | undefined> {
    const deadline = Date.now() + (isFinal(record.status) ? this.#options.leaseTtlMs : 0);
    let entryId: string | null;
    for (let attempt = 0; ; attempt++) {
      try {
        entryId = await this.#append(record, input);
        break;
      } catch (error) {
        if (!isUnavailable(error) || this.#closed || Date.now() >= deadline) {
          throw storeError(error);
        }
        await sleep(Math.min(100 * 2 ** attempt, 1000));
      }
    }
    return entryId === null
      ? undefined
      : storedEvent(this.#options.format, eventId(record.id, entryId), input.type, input.data);
  }

  async delete(id: string): Promise<'deleted' | 'running' | 'missing'> {
    return (await this.#call(() =>
      DELETE.run(this.#cmd, [this.#jobKey(id), this.#eventsKey(id), this.#expiringKey], [id]),
    )) as 'deleted' | 'running' | 'missing';
  }

  async follow(
    jobId: string,
    lastEventId: string | undefined,
    onLive: (event: StoredEvent) => void,
  ): Promise<Feed> {
    const match = lastEventId === undefined ? null : EVENT_ID.exec(lastEventId);
    const cursor = match && match[1] === tagOf(jobId) ? match[2]! : '';
    const reply = (await this.#call(() =>
      FOLLOW.run(this.#cmd, [this.#jobKey(jobId), this.#eventsKey(jobId)], [cursor]),
    )) as [JobStatus, number, [string, string[]][]] | null;
    if (!reply) return { history: [], placed: false, ended: false, stop: () => {} };
    const [status, placed, entries] = reply;
    const history: StoredEvent[] = [];
    for (const [id, fields] of entries) {
      const decoded = decodeEntry(this.#options.format, jobId, id, fields);
      if (decoded) history.push(decoded.event);
    }
    if (isFinal(status)) {
      return { history, placed: placed === 1, ended: true, stop: () => {} };
    }
    // Live delivery starts right after what the history holds: no gap, no duplicate.
    const after = entries.at(-1)?.[0] ?? (placed === 1 ? cursor : '0-0');
    const stop = this.#reader.follow(this.#eventsKey(jobId), after, onLive);
    return { history, placed: placed === 1, ended: false, stop };
  }

  /**
   * Resolves once what `jobIds`' logs hold now has reached this process's live subscribers
   * (through the blocking reader): shutdown waits for it, so the streams it then ends have
   * received the `done` it just wrote.
   */
  async delivered(jobIds: readonly string[]): Promise<void> {
    await Promise.all(
      jobIds.map(async (id) => {
        const key = this.#eventsKey(id);
        const [last] = await this.#call(() => this.#cmd.xrevrange(key, '+', '-', 'COUNT', 1));
        if (last) await this.#reader.caughtUp(key, last[0]);
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#maintaining;
    const reading = this.#reader.close();
    if (this.#cmd.status === 'ready') await this.#leases.retire().catch(() => {});
    // Disconnecting rejects a blocked XREAD, which ends the reader's loop.
    this.#blocking.disconnect();
    await reading;
    this.#sub.disconnect();
    if (this.#cmd.status === 'ready') await this.#cmd.quit().catch(() => {});
    this.#cmd.disconnect();
  }

  /** Runs COMMIT: the new entry's id, or null when the job is missing or already final. */
  async #append(record: JobRecord, input: EventInput): Promise<string | null> {
    return (await COMMIT.run(
      this.#cmd,
      [this.#jobKey(record.id), this.#eventsKey(record.id), this.#expiringKey],
      [
        record.id,
        input.type,
        input.data,
        JSON.stringify(record),
        record.status,
        this.#options.maxEventsPerJob,
        this.#options.retentionMs,
        this.#prefix,
      ],
    )) as string | null;
  }

  /** Lease renewal, dead replicas, orphans and expired index entries (redis-leases.ts); one run at a time. */
  #maintain(): Promise<void> {
    if (this.#maintaining || this.#closed || this.#cmd.status !== 'ready') {
      return this.#maintaining ?? Promise.resolve();
    }
    this.#maintaining = this.#leases
      .maintain(this.#hooks, this.#connectedSince)
      .catch((error: unknown) => this.#log.debug({ err: error }, 'store maintenance failed'))
      .finally(() => (this.#maintaining = undefined));
    return this.#maintaining;
  }

  /** Warns about Redis settings that lose jobs (managed Redis may refuse CONFIG: then silent). */
  async #checkSettings(): Promise<void> {
    try {
      const [, policy] = (await this.#cmd.config('GET', 'maxmemory-policy')) as string[];
      if (policy !== undefined && policy !== 'noeviction') {
        this.#log.warn(
          { maxmemoryPolicy: policy },
          'redis may evict keys under memory pressure (running jobs could vanish); use maxmemory-policy noeviction',
        );
      }
      const [, save] = (await this.#cmd.config('GET', 'save')) as string[];
      const [, appendonly] = (await this.#cmd.config('GET', 'appendonly')) as string[];
      if (save === '' && appendonly === 'no') {
        this.#log.info('redis persistence is off: a Redis restart forgets every job');
      }
    } catch {
      // Not allowed or not reachable: nothing to say.
    }
  }

  async #waitReady(waitMs: number): Promise<boolean> {
    if (this.#cmd.status === 'ready') return true;
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#cmd.off('ready', onReady);
        resolve(false);
      }, waitMs);
      timer.unref();
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#cmd.once('ready', onReady);
    });
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw storeError(error);
    }
  }

  #jobKey(id: string): string {
    return `${this.#prefix}job:${id}`;
  }

  #eventsKey(id: string): string {
    return `${this.#prefix}events:${id}`;
  }

  #indexKey(owner: string | null): string {
    return `${this.#prefix}owner:${ownerToken(owner)}`;
  }

  #runningKey(instance: string): string {
    return `${this.#prefix}running:${instance}`;
  }

  get #instancesKey(): string {
    return `${this.#prefix}instances`;
  }

  get #expiringKey(): string {
    return `${this.#prefix}expiring`;
  }

  get #endedChannel(): string {
    return `${this.#prefix}ended`;
  }

  get #inputChannel(): string {
    return `${this.#prefix}input`;
  }
}

/** Owners are API key names (never containing ':'); `-` stands for the open gateway's null. */
function ownerToken(owner: string | null): string {
  return owner === null ? '-' : `+${owner}`;
}

function tagOf(jobId: string): string {
  return jobId.slice(-6);
}

function eventId(jobId: string, entryId: string): string {
  return `${tagOf(jobId)}.${entryId}`;
}

function decodeEntry(
  format: EventFormat,
  jobId: string,
  entryId: string,
  fields: string[],
): { event: StoredEvent } | undefined {
  let type: string | undefined;
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 't') type = fields[i + 1];
    else if (fields[i] === 'd') data = fields[i + 1];
  }
  if (type === undefined || data === undefined || !EVENT_TYPES.has(type)) return undefined;
  return { event: storedEvent(format, eventId(jobId, entryId), type as JobEventType, data) };
}

/**
 * Whether a Redis command's failure means Redis cannot serve us now (connection lost or refused,
 * command timeout, a "not now" answer) rather than a wrong command.
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return TRANSIENT_REPLY.test(error.message);
  return true;
}

/** Unavailability becomes STORE_UNAVAILABLE (503); anything else (a bug) stays as it is. */
function storeError(error: unknown): unknown {
  if (error instanceof GatewayError || !isUnavailable(error)) return error;
  return new GatewayError(
    'STORE_UNAVAILABLE',
    'The job store (Redis) cannot be reached; try again shortly',
    { headers: { 'retry-after': '2' }, cause: error },
  );
}
