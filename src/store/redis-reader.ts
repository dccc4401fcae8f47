import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Compares two stream entry ids (`ms-seq`, decimal without leading zeros). */
export function compareEntryIds(a: string, b: string): number {
  const [am = '', as = ''] = a.split('-');
  const [bm = '', bs = ''] = b.split('-');
  return compareDecimal(am, bm) || compareDecimal(as, bs);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface StreamReaderOptions<T> {
  /** A connection of its own: a blocked XREAD holds it (docs/pitfalls.md#blocking-reads-hold-their-connection). */
  blocking: Redis;
  /** Any other connection, used to CLIENT UNBLOCK the reader when the followed set changes. */
  command: Redis;
  /** Turns one entry into what followers receive, once for all of them; undefined skips it. */
  decode(key: string, id: string, fields: string[]): T | undefined;
  logger: Logger;
  /** Longest wait of one XREAD; a changed set of streams interrupts it sooner. */
  blockMs?: number;
  /** Entries read per stream per XREAD. */
  count?: number;
}

interface Follower<T> {
  /** The newest entry this follower has (from history or live): only later ones reach it. */
  after: string;
  deliver(value: T): void;
}

interface Followed<T> {
  /** The id the next XREAD reads after. */
  position: string;
  followers: Set<Follower<T>>;
}

/** Someone waiting until a stream's entries up to `id` have been handed out. */
interface Waiter {
  key: string;
  id: string;
  resolve(): void;
}

/** One XREAD in progress. */
interface Flight {
  clientId: number | undefined;
  settled: boolean;
  unblocking: boolean;
}

/**
 * The one blocking reader of a process: a loop of XREAD BLOCK over every stream that some local
 * subscriber follows, on its own connection, fanning each entry out to all of them.
 *
 * A follower joins at the id its history ended with. A stream new to the reader starts there; a
 * follower behind the reader's position rewinds the stream to it (the others skip what they
 * already have), so history and live join with no gap and no duplicate. A batch read before a
 * rewind is discarded for that stream and read again. Changing the set interrupts the blocked
 * read with CLIENT UNBLOCK from the command connection, so new followers wait for no timeout.
 */
export class StreamReader<T> {
  readonly #options: StreamReaderOptions<T>;
  readonly #streams = new Map<string, Followed<T>>();
  readonly #blockMs: number;
  readonly #count: number;
  readonly #waiters = new Set<Waiter>();
  #flight: Flight | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  #failures = 0;
  readonly #loop: Promise<void>;

  constructor(options: StreamReaderOptions<T>) {
    this.#options = options;
    this.#blockMs = options.blockMs ?? 5000;
    this.#count = options.count ?? 1000;
    this.#loop = this.#run();
  }

  /** Streams followed now (for tests and metrics). */
  get size(): number {
    return this.#streams.size;
  }

  /** Delivers every entry of `key` after `after`, in order, until the returned stop is called. */
  follow(key: string, after: string, deliver: (value: T) => void): () => void {
    const follower: Follower<T> = { after, deliver };
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = { position: after, followers: new Set() };
      this.#streams.set(key, stream);
      this.#interrupt();
    } else if (compareEntryIds(after, stream.position) < 0) {
      stream.position = after;
      this.#interrupt();
    }
    stream.followers.add(follower);
    const followed = stream;
    return () => {
      followed.followers.delete(follower);
      // Not interrupted: the next read simply leaves the stream out.
      if (followed.followers.size === 0 && this.#streams.get(key) === followed) {
        this.#streams.delete(key);
        this.#settleWaiters();
      }
    };
  }

  /**
   * Resolves once every entry of `key` up to `id` has been handed to this process's followers:
   * at once when nobody here follows `key` or it already has, else when the reader gets there
   * (or stops, or everybody stops following `key`).
   */
  caughtUp(key: string, id: string): Promise<void> {
    if (this.#passed(key, id)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ key, id, resolve }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#settleWaiters();
    this.#interrupt();
    await this.#loop;
  }

  #passed(key: string, id: string): boolean {
    const stream = this.#streams.get(key);
    return this.#closed || !stream || compareEntryIds(stream.position, id) >= 0;
  }

  #settleWaiters(): void {
    for (const waiter of this.#waiters) {
      if (!this.#passed(waiter.key, waiter.id)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#streams.size === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      const requested = new Map([...this.#streams].map(([key, s]) => [key, s.position]));
      const flight: Flight = { clientId: undefined, settled: false, unblocking: false };
      this.#flight = flight;
      try {
        // CLIENT ID answers at once, before the XREAD blocks behind it: then it can be unblocked.
        const id = this.#options.blocking.client('ID').then((clientId) => {
          flight.clientId = clientId;
        });
        id.catch(() => {});
        const reply = (await this.#options.blocking.call('XREAD', [
          'COUNT',
          this.#count,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          ...requested.keys(),
          ...requested.values(),
        ])) as [string, [string, string[]][]][] | null;
        flight.settled = true;
        if (this.#failures > 0) this.#options.logger.info('stream reader reading again');
        this.#failures = 0;
        if (reply) this.#dispatch(reply, requested);
      } catch (error) {
        flight.settled = true;
        if (this.#closed) break;
        this.#failures++;
        const log = this.#options.logger;
        if (this.#failures === 1) log.warn({ err: error }, 'stream reader cannot read; retrying');
        await this.#pause(Math.min(100 * 2 ** (this.#failures - 1), 2000));
      }
    }
  }

  #dispatch(reply: [string, [string, string[]][]][], requested: ReadonlyMap<string, string>): void {
    for (const [key, entries] of reply) {
      const stream = this.#streams.get(key);
      // Rewound (or dropped) while this read was under way: read again from the new position.
      if (!stream || stream.position !== requested.get(key)) continue;
      for (const [id, fields] of entries) {
        stream.position = id;
        const value = this.#options.decode(key, id, fields);
        if (value === undefined) continue;
        for (const follower of [...stream.followers]) {
          if (!stream.followers.has(follower) || compareEntryIds(id, follower.after) <= 0) continue;
          follower.after = id;
          try {
            follower.deliver(value);
          } catch (error) {
            this.#options.logger.error({ err: error }, 'a stream follower failed');
          }
        }
      }
    }
    if (this.#waiters.size > 0) this.#settleWaiters();
  }

  /** Makes the loop look at the followed set again now. */
  #interrupt(): void {
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
      return;
    }
    const flight = this.#flight;
    if (!flight || flight.settled || flight.unblocking) return;
    flight.unblocking = true;
    void this.#unblock(flight);
  }

  /**
   * CLIENT UNBLOCK may arrive before the XREAD has blocked (or before CLIENT ID answered): then
   * it unblocks nothing, so try again briefly. The read's own timeout is the last resort.
   */
  async #unblock(flight: Flight): Promise<void> {
    for (let attempt = 0; attempt < 200 && !flight.settled; attempt++) {
      if (flight.clientId !== undefined) {
        const done = await this.#options.command
          .client('UNBLOCK', flight.clientId)
          .then((n) => n === 1)
          .catch(() => true);
        if (done) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Waits `ms`, or less if the reader is closed meanwhile. */
  async #pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }
}
