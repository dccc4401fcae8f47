import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredEvent } from '../domain/events.js';
import type { JobRecord } from '../domain/job.js';
import type { Feed, JobStore } from '../store/types.js';
import { SseWriter, type SseWriterOwner } from './sse-writer.js';
import type { CloseReason, StreamRegistry } from './stream-registry.js';

/**
 * The client's resume position: the `Last-Event-ID` header (what EventSource sends on reconnect)
 * wins over `?lastEventId=` (for a first connect). Anything at all is accepted: an id the store
 * cannot place just replays what is retained (docs/event-stream.md#resume), so it is never an error.
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

/** What serving an event stream needs. */
export interface EventStreamDeps {
  store: JobStore;
  /** The open streams, their settings (`sse`) and their clock. */
  streams: StreamRegistry;
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
  const subscription = new Subscription(request, deps, framing, lastEventIds, jobs.length);
  let feeds: Feed[] = [];
  try {
    for (const [index, job] of jobs.entries()) {
      feeds.push(await subscription.follow(index, job.id));
    }
  } catch (error) {
    subscription.stop();
    throw error;
  }
  if (!subscription.needsStream(feeds)) {
    // The client has seen every `done`: 204 tells EventSource to stop reconnecting.
    subscription.stop();
    await reply.code(204).send();
    return;
  }

  writeStreamHead(reply);
  reply.sse.keepAlive();
  const stream = new SseWriter(reply.raw, deps.streams, subscription);
  // @fastify/sse already listens for the response's close and error: no listener of our own.
  reply.sse.onClose(() => stream.clientGone());
  if (!reply.sse.isConnected) stream.clientGone();

  let frames = `retry: ${deps.streams.sse.retryMs}\n\n`;
  for (const job of jobs) frames += framing.snapshot(job);
  frames += subscription.replay(feeds);
  feeds = [];
  subscription.attach(stream, frames);
  // Opened while the gateway shuts down: the client has its snapshot and history, and resumes
  // elsewhere (or after the restart) from there.
  if (deps.streams.shuttingDown) stream.end('shutdown');
}

/**
 * One client's subscription to some jobs' events: where it is in each job's log, which `done`s
 * it still waits for, and the store's stop functions. Its fields are all a long-lived idle
 * stream keeps besides the SseWriter (no closures over the request's locals, and no history).
 */
class Subscription implements SseWriterOwner {
  readonly #request: FastifyRequest;
  readonly #deps: EventStreamDeps;
  readonly #framing: StreamFraming;
  /** Each job's last event id sent (or the client's cursor). */
  readonly #positions: (string | undefined)[];
  /** Whether each job's `done` has been sent; `#pending` counts those not sent. */
  readonly #doneSent: boolean[];
  #pending: number;
  readonly #stops: Array<() => void> = [];
  /** Live events that arrive before the stream is open, in order. */
  #early: Array<[number, StoredEvent]> | undefined = [];
  #stream: SseWriter | undefined;

  constructor(
    request: FastifyRequest,
    deps: EventStreamDeps,
    framing: StreamFraming,
    lastEventIds: readonly (string | undefined)[],
    jobCount: number,
  ) {
    this.#request = request;
    this.#deps = deps;
    this.#framing = framing;
    this.#positions = Array.from({ length: jobCount }, (_v, i) => lastEventIds[i]);
    this.#doneSent = new Array<boolean>(jobCount).fill(false);
    this.#pending = jobCount;
  }

  async follow(index: number, jobId: string): Promise<Feed> {
    const feed = await this.#deps.store.follow(jobId, this.#positions[index], (event) =>
      this.#onLive(index, event),
    );
    this.#stops.push(feed.stop);
    return feed;
  }

  /** Whether a stream is needed: false when the client has seen every job's `done`. */
  needsStream(feeds: readonly Feed[]): boolean {
    for (const [index, feed] of feeds.entries()) {
      // A job whose `done` the client has already seen is not waited for.
      if (feed.ended && !feed.history.some((e) => e.type === 'done')) this.#markDone(index);
    }
    const seenEverything = feeds.every((f) => f.placed && f.ended && f.history.length === 0);
    return !seenEverything || (this.#early?.length ?? 0) > 0;
  }

  /** The frames of the feeds' histories and of the live events that arrived meanwhile. */
  replay(feeds: readonly Feed[]): string {
    let frames = '';
    for (const [index, feed] of feeds.entries()) {
      for (const event of feed.history) frames += this.#render(index, event);
    }
    for (const [index, event] of this.#early ?? []) frames += this.#render(index, event);
    this.#early = undefined;
    return frames;
  }

  /** Writes the opening frames; from now on live events go straight to `stream`. */
  attach(stream: SseWriter, frames: string): void {
    this.#stream = stream;
    if (stream.open(frames) && this.#pending === 0) stream.end();
  }

  stop(): void {
    for (const stop of this.#stops) stop();
  }

  streamClosed(reason: CloseReason): void {
    if (reason === 'too-slow') this.#deps.observer?.slowSubscriberDisconnected();
    this.stop();
    this.#request.log.debug({ reason }, 'event stream closed');
  }

  #onLive(index: number, event: StoredEvent): void {
    if (this.#early) {
      this.#early.push([index, event]);
      return;
    }
    const stream = this.#stream!;
    const frame = this.#render(index, event);
    if (this.#pending === 0) stream.end('ended', frame);
    else stream.write(frame);
  }

  #render(index: number, event: StoredEvent): string {
    this.#positions[index] = event.id;
    if (event.type === 'done') this.#markDone(index);
    this.#deps.observer?.eventsDelivered(1);
    return this.#framing.frame(index, event, this.#positions);
  }

  #markDone(index: number): void {
    if (this.#doneSent[index]) return;
    this.#doneSent[index] = true;
    this.#pending--;
  }
}

/**
 * Writes the stream's head: the headers set on the reply (request id, CORS, security headers)
 * and the SSE ones (@fastify/sse's own, with `no-transform` added). Written with one
 * `writeHead(status, headers)` rather than through @fastify/sse's `sendHeaders`, which copies
 * every header into the response with `setHeader`, where Node keeps them in a second table for
 * the connection's whole life. An idle stream is mostly such fixed costs (issue 3: < 8 KiB).
 */
function writeStreamHead(reply: FastifyReply): void {
  const res = reply.raw;
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name] = value;
  }
  headers['content-type'] = 'text/event-stream';
  headers['cache-control'] = 'no-cache, no-transform';
  headers.connection = 'keep-alive';
  headers['x-accel-buffering'] = 'no';
  res.writeHead(200, headers);
  // Node builds the head with `+=` header by header and keeps it as a rope of a few dozen small
  // strings while the connection lives; a flat copy is a fraction of the size, same bytes.
  const head = (res as { _header?: unknown })._header;
  if (typeof head === 'string') {
    (res as { _header?: unknown })._header = Buffer.from(head, 'latin1').toString('latin1');
  }
}
