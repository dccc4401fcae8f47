import { GatewayClientError } from './errors.js';
import { readReconnecting } from './reconnecting-reader.js';
import type { FetchLike } from './types.js';

/** The part of the DOM `EventSource` this module uses (Node 20 has none). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  addEventListener(
    type: string,
    listener: (event: { data: string; lastEventId: string }) => void,
  ): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** The event types of `GET /v1/events`. */
export const EVENT_TYPES = ['status', 'progress', 'log', 'done'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
const EVENTSOURCE_CLOSED = 2;

/** One `GET /v1/events` connection, made again by its transport after a drop. */
export interface EventsConnection {
  /** The jobs it follows, in the order of its `job` parameters. */
  readonly jobs: readonly string[];
  readonly transport: 'eventsource' | 'fetch';
  /** Closes it for good: nothing is reported after. */
  close(): void;
}

/** What a connection reports; nothing is reported once it is closed. */
export interface EventsConnectionHandlers {
  /** The stream is open (again). */
  opened(): void;
  /**
   * A frame. `cursor` is its id as the transport reports it: absent or unchanged for the opening
   * snapshots (EventSource repeats the last id for an id-less frame).
   */
  message(type: EventType, data: string, cursor: string | undefined): void;
  /**
   * The stream dropped or ended (`error` when an attempt failed) and is made again: the wait
   * before the next attempt, in ms (EventSource keeps its own).
   */
  retrying(error?: GatewayClientError): number;
  /** The gateway's `retry:` hint, in ms (`fetch` only: EventSource applies it itself). */
  retry(ms: number): void;
  /** It failed for good (a non-2xx answer to EventSource, a 4xx to `fetch`). */
  failed(error: unknown): void;
  /** A `204`: the cursor covers every job's `done`, all of them delivered already. */
  finished(): void;
}

/**
 * A browser `EventSource` (no headers: the URL carries a stream token if one is needed), whose
 * own `Last-Event-ID` reconnection resumes the stream after a drop or a clean end.
 */
export function openEventSource(
  EventSource: EventSourceConstructor,
  url: string,
  jobs: readonly string[],
  on: EventsConnectionHandlers,
): EventsConnection {
  const source = new EventSource(url);
  let closed = false;
  source.onopen = () => {
    if (!closed) on.opened();
  };
  source.onerror = () => {
    if (closed) return;
    if (source.readyState === EVENTSOURCE_CLOSED) {
      // A non-200 answer (an expired token, a job gone, a 5xx): EventSource gives up for good.
      closed = true;
      on.failed(new GatewayClientError('NETWORK_ERROR', 'The event stream was refused'));
      return;
    }
    // A drop or a clean end: EventSource reconnects by itself with Last-Event-ID.
    on.retrying();
  };
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (event) => {
      if (!closed) on.message(type, event.data, event.lastEventId || undefined);
    });
  }
  return {
    jobs,
    transport: 'eventsource',
    close: () => {
      closed = true;
      source.close();
    },
  };
}

/**
 * The stream read with `fetch` and the reconnecting reader, so that an `Authorization` header
 * can go with it. Only the first request carries the URL's `?lastEventId=`; later ones send the
 * header, which wins.
 */
export function openFetch(
  fetch: FetchLike,
  url: string,
  jobs: readonly string[],
  options: { apiKey: string | undefined; idleTimeoutMs: number },
  on: EventsConnectionHandlers,
): EventsConnection {
  const controller = new AbortController();
  const { signal } = controller;
  const headers: Record<string, string> = {};
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let lastEventId: string | undefined;
  readReconnecting<true>({
    fetch,
    url,
    headers,
    name: 'GET /v1/events',
    idleTimeoutMs: options.idleTimeoutMs,
    signal,
    lastEventId: () => lastEventId,
    onOpen: () => on.opened(),
    onMessage: (message) => {
      if (message.id) lastEventId = message.id;
      const type = EVENT_TYPES.find((known) => known === message.event);
      if (type && !signal.aborted) on.message(type, message.data, message.id);
    },
    onRetry: (ms) => on.retry(ms),
    // No result: the watch closes the connection once every job's `done` arrived.
    result: () => undefined,
    onNoContent: () => {
      on.finished();
      return Promise.resolve(true);
    },
    // The gateway ended the stream (by age, or shutting down): come back after `retry:`.
    ended: () => on.retrying(),
    failed: (error) => on.retrying(error),
  }).catch((error: unknown) => {
    if (!signal.aborted) on.failed(error);
  });
  return { jobs, transport: 'fetch', close: () => controller.abort() };
}
