/**
 * A light client for many SSE subscribers at once: raw `net` sockets, a hand-written GET, and an
 * incremental parser for the HTTP/1.1 response (status line, headers, chunked or identity body)
 * and for the event stream inside it.
 *
 * The SSE part follows the WHATWG event-stream rules for what our servers send: lines end in LF
 * or CRLF (a lone CR is not treated as a line end; neither the gateway nor the floor sends one),
 * a blank line dispatches, `:` lines are comments, `id:`/`event:`/`data:` fields with one optional
 * space after the colon, several `data:` lines joined with LF, an event with no data is not
 * dispatched, and an id containing NUL is ignored. Multi-byte UTF-8 split across chunks is
 * decoded correctly.
 */
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/** One dispatched server-sent event. */
export interface LiteEvent {
  /** The frame's own `id:` value, or undefined when the frame had no `id:` line. */
  id: string | undefined;
  event: string;
  data: string;
}

export interface LiteHandlers {
  /** Called with each event, and the receive time of the chunk that completed it. */
  onEvent(event: LiteEvent, receivedAt: number): void;
  /** Called once the status line and headers have arrived. */
  onHead?(status: number, headers: Record<string, string>): void;
  /** Called when the response body ends (chunked terminator or, for identity bodies, close). */
  onBodyEnd?(): void;
  /** Called for each comment line (without the colon). */
  onComment?(text: string): void;
}

const CR = 13;
const LF = 10;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const enum Body {
  Head,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
  Identity,
  Done,
}

/** Incremental HTTP/1.1 response + SSE parser for one connection. */
export class HttpSseParser {
  status = 0;
  headers: Record<string, string> = {};
  /** The last `id:` seen (the spec's "last event ID buffer"). */
  lastEventId = '';
  bodyBytes = 0;
  comments = 0;
  readonly #handlers: LiteHandlers;
  #state = Body.Head;
  #head = '';
  #line = '';
  #remaining = 0;
  #remainingBody = -1;
  readonly #decoder = new StringDecoder('utf8');
  #text = '';
  #frameId: string | undefined = undefined;
  #event = '';
  #data: string | undefined = undefined;
  #now = 0;

  constructor(handlers: LiteHandlers) {
    this.#handlers = handlers;
  }

  get bodyEnded(): boolean {
    return this.#state === Body.Done;
  }

  /** Feeds bytes received at `receivedAt` (defaults to now). */
  push(chunk: Buffer, receivedAt = nowMs()): void {
    this.#now = receivedAt;
    let at = 0;
    const n = chunk.length;
    while (at < n) {
      switch (this.#state) {
        case Body.Head: {
          const text = chunk.toString('latin1', at);
          this.#head += text;
          const end = this.#head.indexOf('\r\n\r\n');
          if (end === -1) return;
          const consumed = text.length - (this.#head.length - (end + 4));
          at += consumed;
          this.#parseHead(this.#head.slice(0, end));
          this.#head = '';
          break;
        }
        case Body.ChunkSize:
        case Body.ChunkEnd:
        case Body.Trailer: {
          const nl = chunk.indexOf(LF, at);
          const stop = nl === -1 ? n : nl;
          this.#line += chunk.toString('latin1', at, stop);
          if (nl === -1) return;
          at = nl + 1;
          let line = this.#line;
          this.#line = '';
          if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
          if (this.#state === Body.ChunkSize) {
            const size = parseInt(line, 16);
            if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size '${line}'`);
            if (size === 0) this.#state = Body.Trailer;
            else {
              this.#remaining = size;
              this.#state = Body.ChunkData;
            }
          } else if (this.#state === Body.ChunkEnd) {
            this.#state = Body.ChunkSize;
          } else if (line === '') {
            this.#end();
          }
          break;
        }
        case Body.ChunkData: {
          const take = Math.min(this.#remaining, n - at);
          this.#body(chunk.subarray(at, at + take));
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = Body.ChunkEnd;
          break;
        }
        case Body.Identity: {
          const take = this.#remainingBody === -1 ? n - at : Math.min(this.#remainingBody, n - at);
          this.#body(chunk.subarray(at, at + take));
          at += take;
          if (this.#remainingBody !== -1) {
            this.#remainingBody -= take;
            if (this.#remainingBody === 0) this.#end();
          }
          break;
        }
        case Body.Done:
          return;
      }
    }
  }

  /** The connection closed: an identity body without a length ends here. */
  close(): void {
    if (this.#state === Body.Identity && this.#remainingBody === -1) this.#end();
  }

  #parseHead(head: string): void {
    const lines = head.split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!match) throw new Error(`bad status line '${lines[0]}'`);
    this.status = Number(match[1]);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0)
        this.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    this.#handlers.onHead?.(this.status, this.headers);
    const length = this.headers['content-length'];
    if (/chunked/i.test(this.headers['transfer-encoding'] ?? '')) this.#state = Body.ChunkSize;
    else if (this.status === 204 || this.status === 304 || length === '0') this.#end();
    else {
      this.#state = Body.Identity;
      this.#remainingBody = length === undefined ? -1 : Number(length);
    }
  }

  #end(): void {
    if (this.#state === Body.Done) return;
    this.#state = Body.Done;
    const rest = this.#decoder.end();
    if (rest) this.#text += rest;
    this.#handlers.onBodyEnd?.();
  }

  #body(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    const text = this.#text + this.#decoder.write(bytes);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      this.#fieldLine(text, start, end);
      start = nl + 1;
    }
    this.#text = start === 0 ? text : text.slice(start);
  }

  #fieldLine(text: string, start: number, end: number): void {
    if (start === end) {
      if (this.#data !== undefined) {
        this.#handlers.onEvent(
          { id: this.#frameId, event: this.#event || 'message', data: this.#data },
          this.#now,
        );
      }
      this.#frameId = undefined;
      this.#event = '';
      this.#data = undefined;
      return;
    }
    const colon = text.indexOf(':', start);
    if (colon === start) {
      this.comments++;
      this.#handlers.onComment?.(text.slice(start + 1, end));
      return;
    }
    const fieldEnd = colon === -1 || colon > end ? end : colon;
    let valueStart = fieldEnd === end ? end : fieldEnd + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
    const field = text.slice(start, fieldEnd);
    const value = text.slice(valueStart, end);
    if (field === 'data') this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.#frameId = value;
      this.lastEventId = value;
    }
  }
}

export interface RawSseOptions extends LiteHandlers {
  port: number;
  path: string;
  headers?: Record<string, string>;
  /** Called with the time the first byte of the response arrived. */
  onFirstByte?(at: number): void;
  /** Called once when the socket closes (after the body ended, or cut off). */
  onClose?(hadBodyEnd: boolean, error: Error | undefined): void;
  /** Destroy the socket as soon as the body ends (default true). */
  closeOnEnd?: boolean;
}

/** A raw-socket SSE subscription. */
export interface RawSse {
  socket: net.Socket;
  parser: HttpSseParser;
  /** When the GET was written. */
  sentAt: number;
}

/** Opens `GET path` on 127.0.0.1:port over a raw socket and parses the SSE response. */
export function openRawSse(options: RawSseOptions): RawSse {
  const socket = net.connect({ host: '127.0.0.1', port: options.port });
  socket.setNoDelay(true);
  const closeOnEnd = options.closeOnEnd ?? true;
  const parser = new HttpSseParser({
    onEvent: options.onEvent,
    onHead: options.onHead,
    onComment: options.onComment,
    onBodyEnd: () => {
      options.onBodyEnd?.();
      if (closeOnEnd) socket.destroy();
    },
  });
  let extra = '';
  for (const [name, value] of Object.entries(options.headers ?? {}))
    extra += `${name}: ${value}\r\n`;
  const request =
    `GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\n` +
    `Accept: text/event-stream\r\n${extra}\r\n`;
  const handle: RawSse = { socket, parser, sentAt: nowMs() };
  socket.write(request);
  handle.sentAt = nowMs();
  let first = true;
  let failure: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    const at = nowMs();
    if (first) {
      first = false;
      options.onFirstByte?.(at);
    }
    try {
      parser.push(chunk, at);
    } catch (error) {
      failure = error as Error;
      socket.destroy();
    }
  });
  socket.on('error', (error) => {
    failure ??= error;
  });
  socket.on('close', () => {
    parser.close();
    options.onClose?.(parser.bodyEnded, failure);
  });
  return handle;
}
