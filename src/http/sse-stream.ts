import type { ServerResponse } from 'node:http';

export interface SseStreamOptions {
  /** A comment line is written after this long without any other write. */
  heartbeatMs: number;
  /** Unsent bytes beyond this cut the subscriber off (it resumes with Last-Event-ID). */
  maxBacklogBytes: number;
  /** The response is ended after this long (with a `retry:` hint), so connections rotate. */
  maxAgeMs: number;
  /** The reconnection delay hinted when the stream is ended by age. */
  retryMs: number;
  /** Called once when the stream closes, for whatever reason. */
  onClose: (reason: CloseReason) => void;
}

export type CloseReason = 'ended' | 'client-gone' | 'too-slow' | 'max-age' | 'shutdown';

const HEARTBEAT = ': keep-alive\n\n';

/**
 * Writes pre-serialised SSE frames to one response. Never waits for `drain`: a write that finds
 * the socket's unsent backlog already past the bound destroys the socket instead (ending it would
 * wait for the backlog to drain first, PITFALLS.md), so one slow reader never holds memory or the
 * sender.
 * The heartbeat timer is restarted by every write.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #options: SseStreamOptions;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #maxAge: NodeJS.Timeout;
  #closed = false;
  /** The backlog bound; the opening replay raises it by its own size, so history never counts. */
  #limit: number;

  constructor(res: ServerResponse, options: SseStreamOptions) {
    this.#res = res;
    this.#options = options;
    this.#limit = options.maxBacklogBytes;
    this.#heartbeat = setTimeout(() => this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
    this.#maxAge = setTimeout(
      () => this.end('max-age', `retry: ${options.retryMs}\n\n`),
      options.maxAgeMs,
    );
    this.#maxAge.unref();
    res.once('close', () => this.#close('client-gone'));
    res.on('error', () => this.#close('client-gone'));
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
    this.#limit = this.#options.maxBacklogBytes + Buffer.byteLength(frames);
    const written = this.write(frames);
    const reset = () => (this.#limit = this.#options.maxBacklogBytes);
    if (this.#res.writableNeedDrain) this.#res.once('drain', reset);
    else reset();
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
    this.#heartbeat.refresh();
    return true;
  }

  /** Ends the response after what was written (the client will reconnect unless it got done). */
  end(reason: CloseReason = 'ended', finalFrames = ''): void {
    if (this.#closed) return;
    if (finalFrames && !this.write(finalFrames)) return;
    this.#close(reason);
    this.#res.end();
  }

  #beat(): void {
    if (this.write(HEARTBEAT)) return;
  }

  #close(reason: CloseReason): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#heartbeat);
    clearTimeout(this.#maxAge);
    this.#options.onClose(reason);
  }
}
