import type { EventFormat } from '../domain/events.js';
import { toJobView } from './job-view.js';
import { sseFrame } from './sse-frame.js';

/**
 * The API's event format, given to the store and the job service: each stored event is framed
 * once, as SSE, and a job's `status`/`done` data is its view with links. The store keeps these
 * bytes, so every replica and every reader sends exactly what was written.
 */
export const apiEventFormat: EventFormat = {
  frame: (id, type, data) => sseFrame(type, data, id),
  jobData: (record) => JSON.stringify(toJobView(record)),
};
