import type { SseStream } from './sse-stream.js';

/** The open SSE streams of this process, so shutdown can end them and tests can count them. */
export class StreamRegistry {
  readonly #streams = new Set<SseStream>();

  get size(): number {
    return this.#streams.size;
  }

  add(stream: SseStream): void {
    this.#streams.add(stream);
  }

  delete(stream: SseStream): void {
    this.#streams.delete(stream);
  }

  /** Ends every open stream; clients reconnect (to another replica, or after a restart). */
  endAll(): void {
    for (const stream of [...this.#streams]) stream.end('shutdown');
  }
}
