import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobError } from '../errors.js';
import { isFinal, type JobRecord } from '../domain/job.js';
import { EXPIRED, FORGET, RENEW, RETIRE, SWEEP } from './redis-scripts.js';
import type { RunnerHooks } from './types.js';

export interface LeasesOptions {
  /** The command connection. */
  redis: Redis;
  prefix: string;
  /** This replica's id: its lease in `instances`, its jobs in `running:<instance>`. */
  instance: string;
  ttlMs: number;
  logger: Logger;
  /** Stores a final record and its `done` event unless the job already ended; true if stored. */
  finish(final: JobRecord): Promise<boolean>;
}

/**
 * Leases of the replicas sharing one Redis, and the housekeeping that goes with them. Each run
 * of `maintain` renews this replica's lease, stops local runs whose job ended elsewhere, ends
 * jobs this replica lost track of, fails the jobs of replicas whose lease expired
 * (GATEWAY_INSTANCE_LOST), and drops expired jobs from the owner indexes.
 *
 * A dead replica's jobs end at most about `ttlMs` + one renewal period after its last renewal.
 */
export class Leases {
  readonly #o: LeasesOptions;
  /** Jobs found in our running set but not run here, at the previous run. */
  #suspects = new Set<string>();

  constructor(options: LeasesOptions) {
    this.#o = options;
  }

  /**
   * One round. `hooks` is this process's runner (absent: nothing is run here, so nothing local
   * is checked); `connectedSince` is when the command connection last became ready.
   */
  async maintain(
    hooks: RunnerHooks | undefined,
    connectedSince: number | undefined,
  ): Promise<void> {
    const { redis, prefix, instance, ttlMs } = this.#o;
    const local = hooks ? [...hooks.running()] : [];
    const [gone, orphans] = (await RENEW.run(
      redis,
      [this.#instancesKey, this.#runningKey(instance)],
      [instance, ttlMs, prefix, ...local],
    )) as [string[], string[]];
    // Ended elsewhere while a cancel message was missed (e.g. during a reconnect).
    for (const id of gone) hooks?.endedElsewhere(id);
    if (hooks) {
      // In our running set but not run here, twice in a row (a run registers right after its
      // insert): its final state was never stored. End it rather than leave it running for ever.
      for (const id of orphans) {
        if (!this.#suspects.has(id)) continue;
        await this.#fail(id, instance, {
          code: 'INTERNAL_ERROR',
          message: 'The gateway lost track of this job: its final state could not be stored',
        });
      }
      this.#suspects = new Set(orphans);
    }
    // Only once every live replica has had a lease period to reconnect and renew since Redis
    // came back: after an outage, every lease looks expired.
    if (connectedSince !== undefined && Date.now() - connectedSince >= ttlMs) {
      const expired = (await EXPIRED.run(redis, [this.#instancesKey], [])) as string[];
      for (const other of expired) {
        if (other !== instance) await this.#reap(other);
      }
    }
    // A bounded number of batches: a due job that still exists is looked at again next time.
    for (let batch = 0; batch < 10; batch++) {
      const due = (await SWEEP.run(redis, [`${prefix}expiring`], [prefix, 200])) as number;
      if (due < 200) break;
    }
  }

  /** On close: gone at once if nothing runs here, else expired now so another replica ends it. */
  async retire(): Promise<void> {
    const { redis, instance } = this.#o;
    await RETIRE.run(redis, [this.#instancesKey, this.#runningKey(instance)], [instance]);
  }

  /** Fails the running jobs of a replica whose lease expired, then forgets the replica. */
  async #reap(instance: string): Promise<void> {
    const running = this.#runningKey(instance);
    const ids = await this.#o.redis.smembers(running);
    for (const id of ids) {
      await this.#fail(id, instance, {
        code: 'GATEWAY_INSTANCE_LOST',
        message: 'The gateway replica that ran this job stopped renewing its lease',
      });
    }
    if ((await FORGET.run(this.#o.redis, [this.#instancesKey, running], [instance])) === 1) {
      this.#o.logger.info({ instance, jobs: ids.length }, 'a lost gateway replica was cleaned up');
    }
  }

  /** Ends job `id` (run by `instance`) as failed, unless it already ended or is gone. */
  async #fail(id: string, instance: string, error: JobError): Promise<void> {
    const { redis, prefix, logger } = this.#o;
    const rec = await redis.hget(`${prefix}job:${id}`, 'rec');
    const record = rec === null ? undefined : (JSON.parse(rec) as JobRecord);
    if (!record || isFinal(record.status)) {
      await redis.srem(this.#runningKey(instance), id);
      return;
    }
    const final: JobRecord = {
      ...record,
      status: 'failed',
      error,
      finishedAt: new Date().toISOString(),
    };
    if (await this.#o.finish(final)) {
      logger.warn({ jobId: id, instance, code: error.code }, 'job failed by the store');
    }
  }

  get #instancesKey(): string {
    return `${this.#o.prefix}instances`;
  }

  #runningKey(instance: string): string {
    return `${this.#o.prefix}running:${instance}`;
  }
}
