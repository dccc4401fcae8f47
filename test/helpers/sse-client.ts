import http from 'node:http';

/** One parsed server-sent event. */
export interface SseEvent {
  /** `undefined` when the frame had no `id:` line. */
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A spec-following SSE parser (WHATWG "event stream interpretation"): CR, LF or CRLF line ends,
 * multi-line data, comments, `retry:`, ids containing NUL ignored. Fed arbitrary chunks.
 */
export class SseParser {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  #buffer = '';
  #id: string | undefined;
  #event = '';
  #data: string[] = [];
  #hasId = false;
  readonly #onEvent: (event: SseEvent) => void;

  constructor(onEvent: (event: SseEvent) => void = () => {}) {
    this.#onEvent = onEvent;
  }

  push(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (!match) return;
      // A lone CR at the very end may be the first half of a CRLF still in flight.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) return;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const event: SseEvent = {
          id: this.#hasId ? this.#id : undefined,
          event: this.#event || 'message',
          data: this.#data.join('\n'),
        };
        this.events.push(event);
        this.#onEvent(event);
      }
      this.#event = '';
      this.#data = [];
      this.#hasId = false;
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) {
      this.#id = value;
      this.#hasId = true;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

export interface SseConnection {
  status: number;
  headers: http.IncomingHttpHeaders;
  parser: SseParser;
  events: SseEvent[];
  /** The raw text received, for framing checks. */
  raw: () => string;
  /** Resolves when the server ends the response (or the socket closes). */
  ended: Promise<void>;
  /** Resolves once `predicate` holds for the events received so far. */
  waitFor(predicate: (events: SseEvent[]) => boolean, what?: string): Promise<SseEvent[]>;
  close(): void;
}

/** Opens `url` as an SSE client over a real socket; resolves once the response head arrives. */
export function openSse(
  url: string,
  headers: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<SseConnection> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      let raw = '';
      const waiters = new Set<() => void>();
      const parser = new SseParser(() => {
        for (const w of [...waiters]) w();
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        parser.push(chunk);
      });
      const ended = new Promise<void>((done) => {
        res.on('end', () => done());
        res.on('close', () => done());
        res.on('error', () => done());
      });
      let isEnded = false;
      ended.then(() => {
        isEnded = true;
        for (const w of [...waiters]) w();
      });
      const connection: SseConnection = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        parser,
        events: parser.events,
        raw: () => raw,
        ended,
        waitFor(predicate, what = 'condition') {
          return new Promise((done, fail) => {
            const check = () => {
              if (predicate(parser.events)) {
                cleanup();
                done(parser.events);
              } else if (isEnded) {
                cleanup();
                fail(new Error(`stream ended before ${what}; got ${describe(parser.events)}`));
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`timed out waiting for ${what}; got ${describe(parser.events)}`));
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close() {
          req.destroy();
          res.destroy();
        },
      };
      resolve(connection);
    });
  });
}

function describe(events: SseEvent[]): string {
  return `${events.length} events [${events
    .slice(-5)
    .map((e) => `${e.event}#${e.id ?? '-'}`)
    .join(', ')}]`;
}

/** The events of a connection with their data parsed as JSON. */
export function parsed(
  events: SseEvent[],
): Array<{ id: string | undefined; event: string; data: any }> {
  return events.map((e) => ({ id: e.id, event: e.event, data: JSON.parse(e.data) }));
}
