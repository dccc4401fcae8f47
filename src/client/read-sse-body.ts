import { GatewayClientError } from './errors.js';
import { describe } from './http.js';
import type { SseParser } from './sse-parser.js';

export interface ReadSseBodyOptions {
  /** Aborted (with a NETWORK_ERROR) when nothing arrives for `idleTimeoutMs`. */
  attempt: AbortController;
  idleTimeoutMs: number;
  /** Start of the NETWORK_ERROR message when a read fails, e.g. "The stream was cut". */
  interrupted: string;
  /** Called after each chunk was parsed; true ends the read (it may also throw). */
  shouldStop(): boolean;
}

/**
 * Feeds an SSE response body to `parser` until the body ends or `shouldStop()` says so. A read
 * that fails becomes a NETWORK_ERROR (or the attempt's own abort reason); a connection silent
 * for `idleTimeoutMs` is aborted, so a half-open socket never hangs a watcher.
 */
export async function readSseBody(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  options: ReadSseBodyOptions,
): Promise<void> {
  const { attempt, idleTimeoutMs } = options;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const idle = () =>
    attempt.abort(
      new GatewayClientError('NETWORK_ERROR', `Nothing arrived for ${idleTimeoutMs} ms`),
    );
  let timer = setTimeout(idle, idleTimeoutMs);
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const reason: unknown = attempt.signal.aborted ? attempt.signal.reason : error;
        if (reason instanceof GatewayClientError) throw reason;
        throw new GatewayClientError(
          'NETWORK_ERROR',
          `${options.interrupted}: ${describe(error)}`,
          {
            cause: error,
          },
        );
      }
      clearTimeout(timer);
      if (chunk.done) {
        parser.push(decoder.decode());
        return;
      }
      parser.push(decoder.decode(chunk.value, { stream: true }));
      if (options.shouldStop()) return;
      timer = setTimeout(idle, idleTimeoutMs);
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}
