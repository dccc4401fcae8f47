import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors.js';
import type { JobService } from '../../jobs/job-service.js';
import type { ApiDescription } from '../api-description.js';
import {
  lastEventIdOf,
  serveEventStream,
  type EventStreamDeps,
  type StreamFraming,
} from '../subscription.js';
import { toJobView } from '../job-view.js';
import { sseFrame } from '../sse-frame.js';

/** Most jobs one connection may follow. */
export const MAX_JOBS_PER_STREAM = 50;

/**
 * The cursor of a multi-job stream is every job's last event id, in the order of the `job`
 * parameters, joined by `~` (store event ids never contain it). EventSource reconnects to the
 * same URL, so positions line up; a cursor that does not fit simply replays (ids carry their
 * job, so the store never places another job's id).
 */
const CURSOR_SEPARATOR = '~';

export function parseCursor(cursor: string | undefined, jobs: number): (string | undefined)[] {
  const parts = cursor ? cursor.split(CURSOR_SEPARATOR) : [];
  return Array.from({ length: jobs }, (_v, i) => parts[i] || undefined);
}

function withJobId(jobId: string, data: string): string {
  const prefix = `{"jobId":${JSON.stringify(jobId)}`;
  return data === '{}' ? `${prefix}}` : `${prefix},${data.slice(1)}`;
}

/**
 * GET /v1/events?job=a&job=b: one connection follows several jobs (a browser allows six per
 * origin). Every event's data carries `jobId`; the stream ends after the last job's `done`.
 */
export function registerMultiJobEventsRoute(
  app: FastifyInstance,
  api: ApiDescription,
  deps: EventStreamDeps & { jobs: JobService },
): void {
  app.get<{ Querystring: { job?: string | string[] } }>(
    '/v1/events',
    {
      sse: { kind: 'manual', heartbeat: false },
      // Only `job` is checked here (a string, or an array when repeated); repeated ids count
      // once, so the handler bounds the distinct ones and says when none is named.
      schema: { querystring: api.querystring('streamManyJobEvents', { only: ['job'] }) },
    },
    async (request, reply) => {
      const given = request.query.job;
      const ids = [...new Set(Array.isArray(given) ? given : given ? [given] : [])];
      if (ids.length === 0) {
        throw new GatewayError('INVALID_REQUEST', 'Name at least one job: /v1/events?job=<id>');
      }
      if (ids.length > MAX_JOBS_PER_STREAM) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `One stream follows at most ${MAX_JOBS_PER_STREAM} jobs`,
        );
      }
      // Any job the caller cannot see makes the whole request 404 (docs/event-stream.md#multi-job-streams).
      const records = await Promise.all(ids.map((id) => deps.jobs.get(request.owner, id)));
      const cursor = lastEventIdOf(request);
      const framing: StreamFraming = {
        snapshot: (record) =>
          sseFrame('status', withJobId(record.id, JSON.stringify(toJobView(record)))),
        frame: (index, event, positions) =>
          sseFrame(
            event.type,
            withJobId(records[index]!.id, event.data),
            positions.map((p) => p ?? '').join(CURSOR_SEPARATOR),
          ),
      };
      await serveEventStream(
        request,
        reply,
        deps,
        records,
        parseCursor(cursor, records.length),
        framing,
      );
    },
  );
}
