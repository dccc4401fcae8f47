import type { FastifyInstance } from 'fastify';
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

/**
 * One job's stream: ids are the store's event ids and every event's frame was serialised once,
 * when it was stored, so a thousand subscribers are written the same string.
 */
const singleJob: StreamFraming = {
  snapshot: (record) => sseFrame('status', JSON.stringify(toJobView(record))),
  frame: (_index, event) => event.frame,
};

/**
 * GET /v1/jobs/{id}/events. @fastify/sse only sends the headers ('manual' kind: no Accept
 * negotiation, so curl's `*\/*` works); frames are written by our own SseWriter (docs/pitfalls.md#manual-streams).
 */
export function registerJobEventsRoute(
  app: FastifyInstance,
  api: ApiDescription,
  deps: EventStreamDeps & { jobs: JobService },
): void {
  app.get<{ Params: { id: string } }>(
    '/v1/jobs/:id/events',
    {
      sse: { kind: 'manual', heartbeat: false },
      schema: { params: api.params('streamJobEvents') },
    },
    async (request, reply) => {
      const record = await deps.jobs.get(request.owner, request.params.id);
      await serveEventStream(request, reply, deps, [record], [lastEventIdOf(request)], singleJob);
    },
  );
}
