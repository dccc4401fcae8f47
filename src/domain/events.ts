import type { JobRecord } from './job.js';

/** The kinds of event a job's log holds. The opening `status` snapshot is not in the log. */
export type JobEventType = 'status' | 'progress' | 'log' | 'input_required' | 'done';

/** An event about to be appended: its data is already one line of JSON. */
export interface EventInput {
  type: JobEventType;
  data: string;
}

/**
 * An event in a job's log. `frame` is the event as subscribers receive it, built once (by the
 * store's `EventFormat`) when the event is stored or read, so every subscriber is sent the same
 * string instead of each serialising it again.
 */
export interface StoredEvent {
  readonly id: string;
  readonly type: JobEventType;
  readonly data: string;
  readonly frame: string;
}

/**
 * How events and jobs look on the wire. The HTTP layer owns that shape (SSE syntax, the job view
 * and its /v1 links) and hands it to the store and the job service, which store those bytes
 * without knowing what they mean.
 */
export interface EventFormat {
  /** The complete frame of one stored event. */
  frame(id: string, type: JobEventType, data: string): string;
  /** The data of a job's `status` and `done` events: the job as clients see it, as JSON. */
  jobData(record: JobRecord): string;
}

/** A stored event with its frame built by `format`. */
export function storedEvent(
  format: EventFormat,
  id: string,
  type: JobEventType,
  data: string,
): StoredEvent {
  return { id, type, data, frame: format.frame(id, type, data) };
}
