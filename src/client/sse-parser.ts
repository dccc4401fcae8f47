/** One dispatched server-sent event. */
export interface SseMessage {
  /** The frame's own `id:` value; `undefined` when the frame had no `id:` line. */
  id: string | undefined;
  /** The `event:` value, `'message'` when absent. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
}

export interface SseParserHandlers {
  onMessage(message: SseMessage): void;
  /** A `retry:` field with a valid value (ASCII digits only). */
  onRetry?(ms: number): void;
}

/**
 * An incremental parser for `text/event-stream`, following the WHATWG HTML "event stream
 * interpretation": lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the
 * start of the next are one line end); `:` starts a comment; `data` lines accumulate; an event is
 * dispatched on a blank line only if it has data; an `id` containing NUL is ignored; `retry` is
 * honoured only when it is all ASCII digits; unknown fields are ignored. Feed it decoded text in
 * chunks of any size (decode with a streaming `TextDecoder`, which also drops a leading BOM);
 * a frame left incomplete when the stream ends is discarded, as the standard requires.
 *
 * Unlike `EventSource`, the id reported for a frame is only the frame's own (`undefined` when it
 * had none), so a caller can tell the gateway's id-less opening snapshot from logged events.
 */
export class SseParser {
  readonly #handlers: SseParserHandlers;
  readonly #lineEnd = /\r\n|\r|\n/g;
  /** The unterminated tail of the last chunk. */
  #partial = '';
  /** The last chunk ended in CR: an LF starting the next one belongs to that line end. */
  #afterCr = false;
  #data: string[] = [];
  #event = '';
  #id: string | undefined = undefined;

  constructor(handlers: SseParserHandlers) {
    this.#handlers = handlers;
  }

  push(text: string): void {
    if (text === '') return;
    let start = 0;
    if (this.#afterCr && text.charCodeAt(0) === 10) start = 1;
    this.#afterCr = false;
    const lineEnd = this.#lineEnd;
    lineEnd.lastIndex = start;
    for (let match = lineEnd.exec(text); match; match = lineEnd.exec(text)) {
      const line = this.#partial + text.slice(start, match.index);
      this.#partial = '';
      start = match.index + match[0].length;
      if (match[0] === '\r' && start === text.length) this.#afterCr = true;
      this.#line(line);
    }
    this.#partial += text.slice(start);
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  #dispatch(): void {
    const data = this.#data;
    const message: SseMessage = { id: this.#id, event: this.#event || 'message', data: '' };
    this.#data = [];
    this.#event = '';
    this.#id = undefined;
    if (data.length === 0) return;
    message.data = data.join('\n');
    this.#handlers.onMessage(message);
  }
}
