import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { sseFrame, type StoredEvent } from '../../jobs/events.js';
import { toJobView } from '../../jobs/job.js';
import type { JobService } from '../../jobs/job-service.js';
import type { JobStore } from '../../store/types.js';
import { eventsQuery, jobParams } from '../schemas.js';
import { SseStream } from '../sse-stream.js';
import type { StreamRegistry } from '../stream-registry.js';

export interface JobEventsDeps {
  jobs: JobService;
  store: JobStore;
  streams: StreamRegistry;
  sse: Config['sse'];
}

/**
 * GET /v1/jobs/{id}/events: the opening `status` snapshot (no id), the retained history after
 * the client's Last-Event-ID, then live events, ending after `done`. @fastify/sse only sends the
 * headers ('manual' kind: no Accept negotiation, so curl's `*\/*` works); frames are our own,
 * pre-serialised once per event and written through SseStream (PITFALLS.md).
 */
export function registerJobEventsRoute(app: FastifyInstance, deps: JobEventsDeps): void {
  app.get<{ Params: { id: string }; Querystring: { lastEventId?: string } }>(
    '/v1/jobs/:id/events',
    {
      sse: { kind: 'manual', heartbeat: false },
      schema: { params: jobParams, querystring: eventsQuery },
    },
    async (request, reply) => {
      const record = await deps.jobs.get(request.owner, request.params.id);
      const header = request.headers['last-event-id'];
      const lastEventId =
        typeof header === 'string' && header !== '' ? header : request.query.lastEventId;

      // Live events that arrive before the stream is ready wait here, so history and live join
      // with no gap; the store guarantees no duplicate at the seam.
      let stream: SseStream | undefined = undefined;
      const early: StoredEvent[] = [];
      const onLive = (event: StoredEvent): void => {
        if (!stream) early.push(event);
        else if (event.type === 'done') stream.end('ended', event.frame);
        else stream.write(event.frame);
      };
      const feed = await deps.store.follow(record.id, lastEventId, onLive);
      if (feed.placed && feed.ended && feed.history.length === 0 && early.length === 0) {
        // The client has seen `done`: 204 tells EventSource to stop reconnecting.
        feed.stop();
        return reply.code(204).send();
      }

      reply.header('cache-control', 'no-cache, no-transform');
      reply.sse!.sendHeaders(200);
      const opened = new SseStream(reply.raw, {
        heartbeatMs: deps.sse.heartbeatMs,
        maxBacklogBytes: deps.sse.maxBacklogBytes,
        onClose: (reason) => {
          feed.stop();
          deps.streams.delete(opened);
          request.log.debug({ reason }, 'event stream closed');
        },
      });
      deps.streams.add(opened);
      reply.sse!.keepAlive();

      const backlog = [...feed.history, ...early];
      let frames = `retry: ${deps.sse.retryMs}\n\n${sseFrame('status', JSON.stringify(toJobView(record)))}`;
      for (const event of backlog) frames += event.frame;
      stream = opened;
      if (opened.open(frames) && backlog.at(-1)?.type === 'done') opened.end();
    },
  );
}
