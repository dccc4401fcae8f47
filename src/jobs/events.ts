/** The kinds of event a job's log holds. The opening `status` snapshot is not in the log. */
export type JobEventType = 'status' | 'progress' | 'log' | 'done';

/** An event about to be appended: its data is already one line of JSON. */
export interface EventInput {
  type: JobEventType;
  data: string;
}

/**
 * An event in a job's log. `frame` is the complete SSE frame, built once when the event is
 * stored or read, so every subscriber is sent the same bytes.
 */
export interface StoredEvent {
  readonly id: string;
  readonly type: JobEventType;
  readonly data: string;
  readonly frame: string;
}

// CR, LF and NUL would end or corrupt an SSE field; ids and types are ours, so this only guards.
const UNSAFE_FIELD = /[\r\n\0]/;

/** Builds one SSE frame. `data` must be JSON (which never holds a raw line break). */
export function sseFrame(type: string, data: string, id?: string): string {
  if (UNSAFE_FIELD.test(type) || (id !== undefined && UNSAFE_FIELD.test(id))) {
    throw new Error('SSE id and event fields must not contain CR, LF or NUL');
  }
  if (UNSAFE_FIELD.test(data)) throw new Error('SSE data must be single-line JSON');
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${type}\ndata: ${data}\n\n`;
}

export function storedEvent(id: string, type: JobEventType, data: string): StoredEvent {
  return { id, type, data, frame: sseFrame(type, data, id) };
}
