import type { Config } from '../config/index.js';

/** Why a stream closed (logged, and counted when a subscriber was too slow). */
export type CloseReason = 'ended' | 'client-gone' | 'too-slow' | 'max-age' | 'shutdown';

/** What the registry asks of an open stream (the SSE writer); it knows nothing else of it. */
export interface RegisteredStream {
  /** The clock's tick: send a heartbeat after silence, or end the stream past its maximum age. */
  tick(now: number): void;
  end(reason: CloseReason): void;
}

/**
 * The open SSE streams of this process and their one clock. A single timer, running only while
 * streams are open, sends heartbeats after silence and ends streams past their maximum age: two
 * timers per stream would cost more memory than the rest of our per-stream state (issue 3 asks
 * for under 8 KiB per idle stream). Shutdown ends every stream; tests count them.
 */
export class StreamRegistry {
  readonly sse: Config['sse'];
  /** How often the clock ticks: a quarter of the shortest period it keeps, 5 ms to 1 s. */
  readonly tickMs: number;
  readonly #streams = new Set<RegisteredStream>();
  #timer: NodeJS.Timeout | undefined;
  #shuttingDown = false;
  /** The time of the last tick; streams stamp their writes with it (no clock read per write). */
  #now = Date.now();

  constructor(sse: Config['sse']) {
    this.sse = sse;
    this.tickMs = Math.min(1000, Math.max(5, Math.min(sse.heartbeatMs, sse.maxStreamAgeMs) / 4));
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Whether the clock's timer runs (only while a stream is open). */
  get ticking(): boolean {
    return this.#timer !== undefined;
  }

  /** The clock's time: the last tick's `Date.now()`, behind the real time by less than a tick. */
  get now(): number {
    return this.#now;
  }

  add(stream: RegisteredStream): void {
    this.#streams.add(stream);
    if (this.#timer) return;
    this.#now = Date.now();
    this.#timer = setInterval(() => this.#tick(), this.tickMs);
    this.#timer.unref();
  }

  delete(stream: RegisteredStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Whether `shutdown` was called: a stream opened since ends as soon as it has opened. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Ends every open stream; clients reconnect (to another replica, or after a restart). */
  endAll(): void {
    for (const stream of [...this.#streams]) stream.end('shutdown');
  }

  /** Ends every open stream, and from now on every stream once it has sent its opening frames. */
  shutdown(): void {
    this.#shuttingDown = true;
    this.endAll();
  }

  #tick(): void {
    this.#now = Date.now();
    // A stream that ends here is deleted from the set; a Set iterator skips deleted entries.
    for (const stream of this.#streams) stream.tick(this.#now);
  }
}
