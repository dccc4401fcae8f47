import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { StoredEvent } from '../jobs/events.js';
import type { JobRecord } from '../jobs/job.js';
import type { Feed, JobStore } from '../store/types.js';
import { SseStream } from './sse-stream.js';
import type { StreamRegistry } from './stream-registry.js';

/**
 * The client's resume position: the `Last-Event-ID` header (what EventSource sends on reconnect)
 * wins over `?lastEventId=` (for a first connect). Anything at all is accepted: an id the store
 * cannot place just replays what is retained (CONTRACT.md), so it is never an error.
 */
export function lastEventIdOf(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query as { lastEventId?: unknown }).lastEventId;
  const value = Array.isArray(query) ? query.at(-1) : query;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** How one kind of stream (one job, or several) turns the store's events into frames. */
export interface StreamFraming {
  /** The opening snapshot for one job: a `status` frame with no `id:` line. */
  snapshot(record: JobRecord): string;
  /** The frame for `event` of job number `index`, given each job's last sent event id. */
  frame(index: number, event: StoredEvent, positions: readonly (string | undefined)[]): string;
}

/** Told what the streams deliver (the metrics implement it). */
export interface StreamObserver {
  eventsDelivered(count: number): void;
  slowSubscriberDisconnected(): void;
}

export interface EventStreamDeps {
  store: JobStore;
  streams: StreamRegistry;
  sse: Config['sse'];
  observer?: StreamObserver;
}

/**
 * Serves an SSE response that follows `jobs` from the positions in `lastEventIds`: `retry:`
 * hint, one snapshot per job, each job's retained history, then live events; the response ends
 * after every job's `done`. Answers 204 when the client has already seen every `done`.
 * Live events that arrive while the history is read wait in a queue, so the two join with no
 * gap (the store guarantees no duplicate at the seam), as in Mercure's hub.
 */
export async function serveEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: EventStreamDeps,
  jobs: readonly JobRecord[],
  lastEventIds: readonly (string | undefined)[],
  framing: StreamFraming,
): Promise<void> {
  if (request.method === 'HEAD') {
    // A HEAD answer has no body, and Node sends no headers before the first body byte or the
    // end: a stream would leave the client waiting for its head as long as the jobs run.
    await reply
      .code(200)
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no')
      .type('text/event-stream')
      .send();
    return;
  }
  const positions = jobs.map((_job, i) => lastEventIds[i]);
  const pendingDone = new Set(jobs.map((_job, i) => i));
  let stream: SseStream | undefined = undefined;
  const early: Array<[number, StoredEvent]> = [];
  let feeds: Feed[] = [];
  // Only the stop functions outlive the replay: a long-lived stream must not pin its history.
  const stops: Array<() => void> = [];
  const stopAll = () => stops.forEach((stop) => stop());

  const render = (index: number, event: StoredEvent): string => {
    positions[index] = event.id;
    if (event.type === 'done') pendingDone.delete(index);
    deps.observer?.eventsDelivered(1);
    return framing.frame(index, event, positions);
  };
  const onLive = (index: number, event: StoredEvent): void => {
    if (!stream) {
      early.push([index, event]);
      return;
    }
    const frame = render(index, event);
    if (pendingDone.size === 0) stream.end('ended', frame);
    else stream.write(frame);
  };

  try {
    for (const [index, job] of jobs.entries()) {
      const feed = await deps.store.follow(job.id, positions[index], (e) => onLive(index, e));
      feeds.push(feed);
      stops.push(feed.stop);
    }
  } catch (error) {
    stopAll();
    throw error;
  }
  for (const [index, feed] of feeds.entries()) {
    // A job whose `done` the client has already seen is not waited for.
    if (feed.ended && !feed.history.some((e) => e.type === 'done')) pendingDone.delete(index);
  }
  const seenEverything = feeds.every((f) => f.placed && f.ended && f.history.length === 0);
  if (seenEverything && early.length === 0) {
    // The client has seen every `done`: 204 tells EventSource to stop reconnecting.
    stopAll();
    await reply.code(204).send();
    return;
  }

  reply.header('cache-control', 'no-cache, no-transform');
  reply.sse.sendHeaders(200);
  reply.sse.keepAlive();
  const opened = new SseStream(reply.raw, {
    heartbeatMs: deps.sse.heartbeatMs,
    maxBacklogBytes: deps.sse.maxBacklogBytes,
    maxAgeMs: deps.sse.maxStreamAgeMs,
    retryMs: deps.sse.retryMs,
    onClose: (reason) => {
      if (reason === 'too-slow') deps.observer?.slowSubscriberDisconnected();
      stopAll();
      deps.streams.delete(opened);
      request.log.debug({ reason }, 'event stream closed');
    },
  });
  deps.streams.add(opened);

  let frames = `retry: ${deps.sse.retryMs}\n\n`;
  for (const job of jobs) frames += framing.snapshot(job);
  for (const [index, feed] of feeds.entries()) {
    for (const event of feed.history) frames += render(index, event);
  }
  for (const [index, event] of early) frames += render(index, event);
  feeds = [];
  early.length = 0;
  stream = opened;
  if (opened.open(frames) && pendingDone.size === 0) opened.end();
}
