import type { ServerResponse } from 'node:http';
import type { CloseReason, RegisteredStream, StreamRegistry } from './stream-registry.js';

/** Told once when a stream closes, for whatever reason. */
export interface SseWriterOwner {
  streamClosed(reason: CloseReason): void;
}

const HEARTBEAT = ': keep-alive\n\n';

/**
 * Writes pre-serialised SSE frames to one response. Never waits for `drain`: a write that finds
 * the socket's unsent backlog already past the bound destroys the socket instead (ending it would
 * wait for the backlog to drain first, docs/pitfalls.md#ending-a-back-pressured-socket), so one slow reader never holds memory or the
 * sender.
 * It holds no timer and no listener of its own: the registry's clock calls `tick` (a heartbeat
 * after `heartbeatMs` without a write, the end after `maxStreamAgeMs`), and whoever sees the
 * client go calls `clientGone` (the route, through @fastify/sse's close callbacks).
 */
export class SseWriter implements RegisteredStream {
  readonly #res: ServerResponse;
  readonly #registry: StreamRegistry;
  readonly #owner: SseWriterOwner;
  readonly #openedAt: number;
  #lastWriteAt: number;
  #closed = false;
  /** The backlog bound; the opening replay raises it by its own size, so history never counts. */
  #limit: number;

  constructor(res: ServerResponse, registry: StreamRegistry, owner: SseWriterOwner) {
    this.#res = res;
    this.#registry = registry;
    this.#owner = owner;
    this.#limit = registry.sse.maxBacklogBytes;
    this.#openedAt = Date.now();
    this.#lastWriteAt = this.#openedAt;
    registry.add(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes the opening frames (hint, snapshot, retained history). Until they have drained, their
   * size is added to the backlog bound: replaying a long history must not cut a client off
   * before it could read it.
   */
  open(frames: string): boolean {
    const bound = this.#registry.sse.maxBacklogBytes;
    this.#limit = bound + Buffer.byteLength(frames);
    const written = this.write(frames);
    if (!this.#res.writableNeedDrain) this.#limit = bound;
    else this.#res.once('drain', () => (this.#limit = bound));
    return written;
  }

  /** Writes a frame (or several, concatenated). Returns false once the stream is closed. */
  write(frames: string): boolean {
    if (this.#closed) return false;
    // What is already queued and unsent decides, not the size of this frame: a subscriber that
    // keeps reading is never cut off for one event larger than the bound, and one that stopped
    // reading holds at most the bound plus one frame.
    if (this.#res.writableLength > this.#limit) {
      this.#close('too-slow');
      this.#res.destroy();
      return false;
    }
    this.#res.write(frames);
    this.#lastWriteAt = this.#registry.now;
    return true;
  }

  /** Ends the response after what was written (the client will reconnect unless it got done). */
  end(reason: CloseReason = 'ended', finalFrames = ''): void {
    if (this.#closed) return;
    if (finalFrames && !this.write(finalFrames)) return;
    this.#close(reason);
    this.#res.end();
  }

  /** The client went away (or the response errored): nothing more is written. */
  clientGone(): void {
    this.#close('client-gone');
  }

  /** The registry's clock: `now` is the tick's time. */
  tick(now: number): void {
    const { heartbeatMs, maxStreamAgeMs, retryMs } = this.#registry.sse;
    if (now - this.#openedAt >= maxStreamAgeMs) {
      this.end('max-age', `retry: ${retryMs}\n\n`);
    } else if (now - this.#lastWriteAt >= heartbeatMs - this.#registry.tickMs) {
      // Writes are stamped with the previous tick's time (up to a tick early), and the next
      // tick is a tick away: one tick of margin keeps every silence under `heartbeatMs`.
      this.write(HEARTBEAT);
    }
  }

  #close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#registry.delete(this);
    this.#owner.streamClosed(reason);
  }
}
