/**
 * Generated from openapi.yaml by openapi-typescript (`npm run generate:client-types`).
 * Do not edit: change openapi.yaml and run the script again. test/client/openapi-types.test.ts
 * fails when this file and openapi.yaml disagree.
 */

export interface paths {
  '/v1/jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List the caller's jobs
     * @description The caller's retained jobs (the open gateway's jobs when `API_KEYS` is not set), newest
     *     first, optionally filtered. When more jobs match than `limit`, `next` is a cursor for the
     *     following page; pass it back as `cursor` with the same filters. `next` is `null` on the
     *     last page. Unknown query parameters are `400`.
     */
    get: operations['listJobs'];
    put?: never;
    /**
     * Start a job
     * @description Starts one `tools/call` against an upstream. The gateway first connects to the upstream
     *     (if it is not connected) and checks that it offers the tool, so an unknown server or tool
     *     and an unreachable upstream are answered here, not as a failed job. An upstream or tool
     *     the caller's key may not use is answered exactly like one that does not exist. The
     *     tool's `arguments` are checked against its `inputSchema` before anything is sent
     *     (`400 INVALID_ARGUMENTS`, one entry per problem in `errors`).
     *
     *     The job is created `queued`; the `202` body is the job as created. It starts at once
     *     unless the caller's key (`MAX_RUNNING_JOBS_PER_KEY`) or the upstream
     *     (`MAX_RUNNING_JOBS_PER_UPSTREAM`) already has as many jobs running as it may: then it
     *     stays `queued` until a place frees up. Both deadlines start when the job starts
     *     running. A queued job can be cancelled (it then never starts).
     *
     *     **Idempotency.** With an `Idempotency-Key`, a retry with the same key and the same body
     *     (compared as canonical JSON, whatever the key order) returns the job the first request
     *     made, with `200` and the same `Location`. The same key with a different body is
     *     `409 IDEMPOTENCY_CONFLICT`. Keys are scoped to the API key and remembered as long as the
     *     job they made is retained. The upstream and tool checks run before the key is looked
     *     up, so a retry can still get `404` or `503`.
     */
    post: operations['startJob'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    /** Read a job */
    get: operations['getJob'];
    put?: never;
    post?: never;
    /**
     * Forget a finished job
     * @description Removes a finished job and its event log at once (instead of after `JOB_RETENTION_MS`), and frees its `Idempotency-Key`. A job still `queued` or `running` is `409 JOB_RUNNING`: cancel it first. No body is needed; a body, if sent, must be JSON and is ignored.
     */
    delete: operations['deleteJob'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Cancel a job
     * @description Cancellation is the gateway's decision: the job is `cancelled` (error `CANCELLED`) before
     *     this answers, and the `202` body already shows it; subscribers get the `done` event.
     *     The gateway then aborts the upstream call, which sends `notifications/cancelled`
     *     upstream. Anything the upstream sends for the call afterwards is dropped. A job still
     *     `queued` never starts.
     *
     *     No body is needed; a body, if sent, must be JSON and is ignored (an empty body with
     *     `Content-Type: application/json` counts as none).
     */
    post: operations['cancelJob'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/input': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Answer an upstream's input request
     * @description Answers one of the job's open input requests (`pendingInput`, announced by an
     *     `input_required` event): `accept` with `content` for a form, `accept` without content for
     *     a URL-mode request the person completed, `decline` or `cancel`. Form `content` is checked
     *     against `requestedSchema` before anything goes upstream (`400 INVALID_INPUT` naming each
     *     field); fields left out get the schema's defaults. A request is answered once, on
     *     whichever replica gets the answer first (`409 INPUT_NOT_PENDING` for every later answer,
     *     and for an expired or unknown request). The answer leaves `pendingInput`, the job goes
     *     back to `running`, and a `status` event carries `lastInput` (sensitive fields redacted;
     *     answers never reach the logs).
     */
    post: operations['answerInput'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/jobs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    /**
     * Stream a job's events (SSE)
     * @description A Server-Sent Event stream of one job. Works with curl (`curl -N`, any `Accept`) and a
     *     browser's `EventSource`. Response headers: `Content-Type: text/event-stream`,
     *     `Cache-Control: no-cache, no-transform`, `X-Accel-Buffering: no`; the stream is never
     *     compressed. When `API_KEYS` is set the request needs the `Authorization` header like
     *     every other `/v1` request, or, since `EventSource` cannot send headers, the short-lived
     *     stream token that the job's `links.events` carries (`?token=`, see `StreamToken`).
     *
     *     **What a connection receives, in order**
     *     1. `retry: <SSE_RETRY_MS>` (default `retry: 2000`), the reconnection delay hint.
     *     2. A `status` event with the job as it is now (it may already be final). This snapshot
     *        is not part of the log and has **no `id:` line**, so it never moves a client's
     *        `Last-Event-ID`.
     *     3. The retained events of the job's log after the client's position (all of them on a
     *        first connection), then live events as they happen, with no gap and no duplicate
     *        between the two. Every one of these has an `id:`.
     *     4. After `done` the server ends the response.
     *
     *     **Events** (each is `id:`, `event:` and one line of JSON in `data:`; schemas under
     *     `components.schemas` and in `x-sse-events`):
     *
     *     | event | data | when |
     *     |---|---|---|
     *     | `status` | `Job` | the opening snapshot (no id); in the log, on each change of status, `statusMessage`, `task` or `pendingInput` (an input request opened, answered or expired) |
     *     | `progress` | `Progress` | each upstream progress notification |
     *     | `log` | `LogMessage` | each upstream log notification tied to this job's call (its own response stream, its task, or the only call on its upstream session; never a guess) |
     *     | `input_required` | `PendingInput` | the upstream asks the person something (answer with `POST /v1/jobs/{id}/input`) |
     *     | `done` | `Job` (final: `succeeded`, `failed` or `cancelled`, with `result` or `error`) | once, last; it carries the final state change (no separate `status` for it) |
     *
     *     **Ids** are opaque strings, strictly increasing in the order sent within one job; hand
     *     the last one back, never parse it.
     *
     *     **Resume.** Send the last id as the `Last-Event-ID` header (what `EventSource` does on
     *     reconnect) or as `?lastEventId=` (for a first connection); a non-empty header wins. The
     *     stream then holds, after the opening snapshot, only the events after that id. An id the
     *     gateway cannot place (malformed, from another job, or newer than anything it sent) is not
     *     an error: the stream replays from the earliest retained event. An id older than the
     *     retained history resumes from the earliest retained event after it.
     *
     *     **After `done`.** A request whose `Last-Event-ID` is the id of the job's `done` event gets
     *     `204 No Content`, so an `EventSource` stops reconnecting.
     *
     *     **Retention.** A job's log holds at most `MAX_EVENTS_PER_JOB` events (default 1000). Past
     *     that bound the oldest `log` and `progress` events are dropped first; `status` events,
     *     `done` and the latest `progress` are always kept. A finished job and its log are kept for
     *     `JOB_RETENTION_MS` (default 1 h), then the stream is `404`.
     *
     *     **Keep-alive and disconnects.** A comment line `: keep-alive` is written after
     *     `SSE_HEARTBEAT_MS` (at most and by default 15 s) without any other write. The server ends
     *     a stream, with a `retry:` line, after `SSE_MAX_STREAM_AGE_MS` (default 30 min); the
     *     client reconnects with `Last-Event-ID` and loses nothing retained. A subscriber that stops
     *     reading is disconnected (its socket closed) once its unsent backlog, beyond the opening
     *     replay, passes `SSE_MAX_BACKLOG_BYTES` (default 1 MiB). Shutdown ends every stream.
     *
     *     **Framing.** No CR, LF or NUL ever reaches `id:` or `event:`, and `data:` is always one
     *     line of JSON, whatever a job or an upstream supplies.
     */
    get: operations['streamJobEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Stream several jobs' events on one connection (SSE)
     * @description The rules of `GET /v1/jobs/{id}/events`, for up to 50 jobs on one connection (a browser
     *     allows six HTTP/1.1 connections per origin). Same response headers, `retry:` hint,
     *     heartbeats, age limit and backlog limit.
     *
     *     - Name each job with a `job` parameter: `/v1/events?job=<id>&job=<id>`. Repeated ids
     *       count once. Any job the caller cannot see (unknown, expired, or another key's) makes
     *       the whole request `404 JOB_NOT_FOUND`.
     *     - The stream opens with one id-less `status` snapshot per job, in the order of the `job`
     *       parameters, then each job's retained history (job by job), then live events of all the
     *       jobs as they happen.
     *     - Every event's `data` is the single-job event's data with a `jobId` member added first.
     *     - Every event's id is a cursor for **all** the jobs: each job's last sent event id, in the
     *       order of the `job` parameters, joined by `~` (empty for a job with no event sent yet).
     *       Reconnect to the same URL (`EventSource` does) with it as `Last-Event-ID` (or
     *       `?lastEventId=`) to resume every job at once. A part of the cursor that cannot be
     *       placed replays that job from its earliest retained event.
     *     - The stream ends after the last job's `done`. A job whose `done` the cursor already
     *       covers is not waited for; when the cursor covers every job's `done` the answer is `204`.
     */
    get: operations['streamManyJobEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/stream-tokens': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Get a stream token for several jobs (for EventSource)
     * @description A browser's `EventSource` cannot send `Authorization`. A job's `links.events` carries a
     *     token for that job's stream; this gives one token for a `/v1/events` set. Every job
     *     must be one the caller can see, else `404 JOB_NOT_FOUND` (no token is issued). Repeated
     *     ids count once.
     *
     *     The answer's `url` is `/v1/events?job=<id>&...&token=<token>`: open it with
     *     `EventSource` as is. The token opens `/v1/events` for those jobs (all of them, or some),
     *     and `/v1/jobs/{id}/events` for each, without `Authorization`, as the key that asked for
     *     it, until `expiresAt` (`STREAM_TOKEN_TTL_MS`, default 15 minutes). It grants nothing
     *     else: any other job, or any other route, is `401`. An `EventSource` reconnecting after
     *     it expired gets `401` and stops; ask for a new one. When the gateway runs open (no API
     *     keys), no token is needed: `token` and `expiresAt` are `null` and `url` has no token.
     */
    post: operations['createStreamToken'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/servers': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List the configured upstreams
     * @description Every configured (not `disabled`) upstream the caller's key may use, with its connection state. Reading this never contacts an upstream. Upstreams connect at start-up and on first use, and reconnect on the next use after a lost connection. Nothing here shows an upstream's URL, headers or environment; `lastError` has URL credentials, query values and the upstream's secrets masked as `[REDACTED]`.
     */
    get: operations['listServers'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/servers/{name}/tools': {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The upstream's name, as configured. */
        name: string;
      };
      cookie?: never;
    };
    /**
     * List an upstream's tools
     * @description The upstream's tools (every page of `tools/list`) that the caller's key may call, connecting to it first if needed. The list is refreshed when the upstream sends `notifications/tools/list_changed`.
     */
    get: operations['listServerTools'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics
     * @description The gateway's metrics in the Prometheus text format (`version=0.0.4`): jobs started and finished, job durations, jobs running and queued, problem answers by code, open streams, events delivered, slow subscribers disconnected, upstream states and reconnects, store errors, and the process's own (docs/operations.md lists them). Never authenticated: scrapers carry no API key. Counts are per process.
     */
    get: operations['metrics'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/openapi.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This document, as JSON */
    get: operations['openapiJson'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/openapi.yaml': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This document */
    get: operations['openapiYaml'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/docs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * API reference page
     * @description This document in Swagger UI. Its scripts, styles and copies of this document are served under `/docs/` by the gateway itself: the page needs no network beyond the gateway.
     */
    get: operations['apiReference'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Dashboard
     * @description A browser page to start jobs and watch their events; it calls `/v1` with the API key the user enters and holds no data itself. Its script and styles are `/dashboard/dashboard.js` and `/dashboard/dashboard.css`. `npm run build` builds it.
     */
    get: operations['dashboard'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/healthz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Liveness
     * @description The process answers. Never authenticated; contacts nothing.
     */
    get: operations['health'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Readiness
     * @description Ready to take jobs: the store answers, the gateway is not shutting down, and the upstreams `READINESS_UPSTREAMS` asks for are connected: by default `any` one of them (so one broken upstream of several does not take every replica out of a load balancer), or `all`, or `none`. The gateway connects to every upstream when it starts and reconnects by itself (back-off up to 5 s) when one is lost, so readiness comes back without traffic. Never authenticated; reads states and contacts no upstream. The Docker image's `HEALTHCHECK` uses it.
     */
    get: operations['ready'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /**
     * @description 26 characters of lowercase base32 (`0-9a-v`): a 10-character millisecond timestamp, then 80 random bits. Ids made later by the same gateway process sort after earlier ones.
     * @example 01k8ftbq3s6q49p9m4sl1t8vq9
     */
    JobId: string;
    /** @description An upstream's name as configured (1-64 letters, digits, `.`, `_` or `-`, starting with a letter or digit). */
    ServerName: string;
    /**
     * @description `queued` (accepted; waiting while a running cap is reached) → `running` (the call was sent) ⇄ `input_required` (the upstream waits for an answer from the person: see the job's `pendingInput` and `POST /v1/jobs/{id}/input`, or the upstream task says so) → one of `succeeded`, `failed`, `cancelled`. The last three are final. A queued job can go straight to `cancelled` (cancel or shutdown).
     * @enum {string}
     */
    JobStatus: 'queued' | 'running' | 'input_required' | 'succeeded' | 'failed' | 'cancelled';
    StartJobRequest: {
      /** @description The upstream's name (see `GET /v1/servers`). */
      server: string;
      /** @description The tool's name (see `GET /v1/servers/{name}/tools`). */
      tool: string;
      /** @description The tool's arguments, passed through as they are. Default `{}`. */
      arguments?: Record<string, unknown>;
      options?: {
        /** @description Hard deadline for the whole call, in ms, counted from acceptance. Default `JOB_DEFAULT_TIMEOUT_MS` (10 min); at most `JOB_MAX_TIMEOUT_MS` (6 h), else `400`. When it passes, the job fails with `JOB_TIMEOUT` and the call is cancelled upstream. */
        timeoutMs?: number;
        /** @description Deadline restarted by each progress notification, in ms. Default `JOB_DEFAULT_IDLE_TIMEOUT_MS` (5 min); at most `JOB_MAX_TIMEOUT_MS`, else `400`. It runs from acceptance even for tools that never report progress. When it passes, the job fails with `JOB_IDLE_TIMEOUT` and the call is cancelled upstream. */
        idleTimeoutMs?: number;
      };
    };
    /**
     * @description A job, as every response and every `status`/`done` event shows it.
     * @example {
     *       "id": "01k8ftbq3s6q49p9m4sl1t8vq9",
     *       "server": "demo",
     *       "tool": "countdown",
     *       "status": "succeeded",
     *       "createdAt": "2026-11-28T01:47:22.109Z",
     *       "startedAt": "2026-11-28T01:47:22.109Z",
     *       "finishedAt": "2026-11-28T01:47:25.142Z",
     *       "progress": {
     *         "progress": 3,
     *         "total": 3,
     *         "message": "liftoff",
     *         "percent": 100
     *       },
     *       "result": {
     *         "content": [
     *           {
     *             "type": "text",
     *             "text": "Countdown from 3 finished"
     *           }
     *         ]
     *       },
     *       "error": null,
     *       "statusMessage": null,
     *       "task": null,
     *       "pendingInput": [],
     *       "lastInput": null,
     *       "links": {
     *         "self": "/v1/jobs/01k8ftbq3s6q49p9m4sl1t8vq9",
     *         "events": "/v1/jobs/01k8ftbq3s6q49p9m4sl1t8vq9/events",
     *         "cancel": "/v1/jobs/01k8ftbq3s6q49p9m4sl1t8vq9/cancel",
     *         "input": "/v1/jobs/01k8ftbq3s6q49p9m4sl1t8vq9/input"
     *       }
     *     }
     */
    Job: {
      id: components['schemas']['JobId'];
      /** @description The upstream's name. */
      server: string;
      /** @description The tool's name. */
      tool: string;
      status: components['schemas']['JobStatus'];
      /** Format: date-time */
      createdAt: string;
      /**
       * Format: date-time
       * @description When the call was sent upstream; `null` while `queued`.
       */
      startedAt: string | null;
      /**
       * Format: date-time
       * @description When the job reached its final state; `null` until then.
       */
      finishedAt: string | null;
      /** @description The latest progress; `null` until the first progress notification. */
      progress: components['schemas']['Progress'] | null;
      /** @description The MCP `CallToolResult` (`content`, optional `structuredContent`, `isError`), as the upstream returned it. Set when the job `succeeded`, and when it `failed` with `TOOL_ERROR` (`isError: true`); `null` otherwise. */
      result: Record<string, unknown> | null;
      /** @description Why the job `failed` or was `cancelled`; `null` otherwise. */
      error: components['schemas']['JobError'] | null;
      /** @description The upstream's latest human-readable status text (a task's `statusMessage`, cut at 4096 characters); `null` until it gives one. Each change is a `status` event. */
      statusMessage: string | null;
      /** @description Set when the job runs as an upstream task (a tool with `execution.taskSupport` `required`, or `optional` on an upstream with the tasks capability; protocol 2026-07-28 servers decide per call): the upstream's task id and its latest status. */
      task: components['schemas']['JobTask'] | null;
      /** @description The upstream's questions that still wait for an answer, oldest first (the same objects as the `input_required` events). Empty when none is open, and always when the job has finished. */
      pendingInput: components['schemas']['PendingInput'][];
      /** @description How the latest input request ended; `null` before the first one ends. */
      lastInput: components['schemas']['InputOutcome'] | null;
      links: {
        /**
         * Format: uri-reference
         * @description `/v1/jobs/{id}`
         */
        self: string;
        /**
         * Format: uri-reference
         * @description `/v1/jobs/{id}/events`; with `API_KEYS` set, `/v1/jobs/{id}/events?token=<stream token>`, which opens this job's stream without the `Authorization` header (for `EventSource`) until the token expires (`STREAM_TOKEN_TTL_MS`, default 15 min). Read the job again for a fresh token.
         */
        events: string;
        /**
         * Format: uri-reference
         * @description `/v1/jobs/{id}/cancel`
         */
        cancel: string;
        /**
         * Format: uri-reference
         * @description `/v1/jobs/{id}/input` (answers an open input request)
         */
        input: string;
      };
    };
    /** @description The upstream task a task-backed job follows. */
    JobTask: {
      /** @description The upstream's task id. */
      id: string;
      /**
       * @description The task's latest status as the upstream reports it.
       * @enum {string}
       */
      status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
    };
    /** @description A question from the upstream (MCP elicitation) that waits for an answer. Answer it with `POST /v1/jobs/{id}/input`; unanswered, the gateway declines it at `expiresAt` (`INPUT_TIMEOUT_MS`, default 10 min, never past the job's hard deadline). The idle deadline does not run while the job waits. */
    PendingInput: {
      requestId: components['schemas']['InputRequestId'];
      /** @constant */
      kind: 'elicitation';
      /**
       * @description `form`: answer with `content` that satisfies `requestedSchema`; `url`: the person opens `url` (in a new tab), then the client answers `accept`, `decline` or `cancel`.
       * @enum {string}
       */
      mode: 'form' | 'url';
      /** @description The question, as the upstream wrote it. */
      message: string;
      /** @description Form mode: a flat object schema of string, number, integer, boolean and enum fields (the subset MCP allows), with formats, bounds and defaults. */
      requestedSchema?: Record<string, unknown>;
      /** @description URL mode only. */
      url?: string;
      /** Format: date-time */
      expiresAt: string;
    };
    /** @description The gateway's own id for an input request (opaque). */
    InputRequestId: string;
    InputAnswer: {
      requestId: components['schemas']['InputRequestId'];
      /**
       * @description `accept` with `content` (form mode; fields left out get the schema's defaults) or without (URL mode: the person finished at the URL); `decline` (the person said no); `cancel` (the person dismissed the question).
       * @enum {string}
       */
      action: 'accept' | 'decline' | 'cancel';
      /** @description Form mode with `accept` only. */
      content?: Record<string, unknown>;
    };
    /** @description How an input request ended. */
    InputOutcome: {
      requestId: components['schemas']['InputRequestId'];
      /** @enum {string} */
      action: 'accept' | 'decline' | 'cancel';
      /** @description The content sent upstream, with the values of sensitive fields (`format: password`) shown as `[redacted]`; `null` without content. */
      content: Record<string, unknown> | null;
      /**
       * @description `answered` by a client; `expired` (declined by the gateway at `expiresAt`); `ended` (the job ended first; the upstream was answered `cancel`).
       * @enum {string}
       */
      reason: 'answered' | 'expired' | 'ended';
      /** Format: date-time */
      at: string;
    };
    JobList: {
      jobs: components['schemas']['Job'][];
      /** @description Pass as `cursor` for the next page; `null` on the last page. */
      next: string | null;
    };
    /**
     * @description A job's latest progress, from the upstream's `notifications/progress`.
     * @example {
     *       "progress": 1,
     *       "total": 3,
     *       "message": "2 seconds left",
     *       "percent": 33.33
     *     }
     */
    Progress: {
      /** @description The upstream's progress value. */
      progress: number;
      /** @description The upstream's total; `null` when it sent none (or one that is not a positive number). */
      total: number | null;
      /** @description The upstream's message (cut at 4096 characters); `null` when it sent none. */
      message: string | null;
      /** @description `progress / total` in percent, rounded to 2 decimals, at most 100; `null` while `total` is unknown. */
      percent: number | null;
    };
    /**
     * @description An upstream `notifications/message`. A message whose JSON exceeds 64 KiB has its `data` replaced by `{"truncated": true, "length": <bytes>, "preview": "<first 1000 characters>"}`.
     * @example {
     *       "level": "info",
     *       "logger": "countdown",
     *       "data": "2 seconds left"
     *     }
     */
    LogMessage: {
      /**
       * @description The MCP logging level.
       * @enum {string}
       */
      level: 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';
      /** @description The upstream's logger name; `null` when it sent none. */
      logger: string | null;
      /** @description Whatever the upstream sent (any JSON value). */
      data: unknown;
    };
    /**
     * @description A job's terminal error.
     * @example {
     *       "code": "JOB_IDLE_TIMEOUT",
     *       "message": "No progress arrived for 300 ms"
     *     }
     */
    JobError: {
      /**
       * @description | code | job status | meaning |
       *     |---|---|---|
       *     | `TOOL_ERROR` | failed | The tool returned a result with `isError: true`; the result is kept in `result` and `message` is its first text. |
       *     | `UPSTREAM_ERROR` | failed | The upstream answered the call with a JSON-RPC error (for example invalid arguments), or with an answer that is not a valid tool result. |
       *     | `UPSTREAM_DISCONNECTED` | failed | The upstream connection closed while the call ran (for example a stdio server crashed). |
       *     | `UPSTREAM_UNAVAILABLE` | failed | The upstream could not be reached when the call was sent. |
       *     | `UNKNOWN_TOOL` | failed | The upstream does not offer this tool. Reserved: the gateway checks the tool when the job is started and answers `404 UNKNOWN_TOOL` instead. |
       *     | `JOB_TIMEOUT` | failed | The call passed its hard deadline (`options.timeoutMs`). |
       *     | `JOB_IDLE_TIMEOUT` | failed | No progress arrived within `options.idleTimeoutMs`. |
       *     | `CANCELLED` | cancelled | A client cancelled the job. |
       *     | `GATEWAY_SHUTDOWN` | cancelled | The gateway shut down while the job ran. |
       *     | `GATEWAY_INSTANCE_LOST` | failed | The gateway replica that ran the job stopped renewing its lease. Reserved for the Redis store; not produced by this version. |
       *     | `INTERNAL_ERROR` | failed | The gateway failed unexpectedly while running the job. |
       * @enum {string}
       */
      code:
        | 'TOOL_ERROR'
        | 'UPSTREAM_ERROR'
        | 'UPSTREAM_DISCONNECTED'
        | 'UPSTREAM_UNAVAILABLE'
        | 'UNKNOWN_TOOL'
        | 'JOB_TIMEOUT'
        | 'JOB_IDLE_TIMEOUT'
        | 'CANCELLED'
        | 'GATEWAY_SHUTDOWN'
        | 'GATEWAY_INSTANCE_LOST'
        | 'INTERNAL_ERROR';
      /** @description Human-readable detail (cut at 2000 characters). */
      message: string;
    };
    /**
     * @description An RFC 9457 problem document, sent as `application/problem+json`.
     * @example {
     *       "type": "urn:mcp-progress-gateway:problem:JOB_NOT_FOUND",
     *       "title": "No such job",
     *       "status": 404,
     *       "detail": "No job with id 'nope'",
     *       "code": "JOB_NOT_FOUND"
     *     }
     */
    Problem: {
      /**
       * Format: uri
       * @description `urn:mcp-progress-gateway:problem:<code>`
       * @example urn:mcp-progress-gateway:problem:JOB_NOT_FOUND
       */
      type: string;
      /** @description A fixed summary for the code. */
      title: string;
      /** @description The HTTP status, the same as the response's. */
      status: number;
      /** @description What was wrong with this request. */
      detail: string;
      /**
       * @description A stable identifier. Every code with its HTTP status:
       *
       *     | code | status | when |
       *     |---|---|---|
       *     | `INVALID_REQUEST` | 400 | The body, query, path or a header is malformed or fails validation (`errors` lists each problem when a schema check failed). |
       *     | `INVALID_ARGUMENTS` | 400 | The tool arguments do not match the tool's `inputSchema` (`errors` lists each problem with its JSON pointer). |
       *     | `INVALID_INPUT` | 400 | An answer's `content` does not satisfy the input request's `requestedSchema` (`errors` names each field), or content came with an answer that takes none. Nothing was sent upstream. |
       *     | `UNAUTHORIZED` | 401 | `API_KEYS` is set and the bearer token is missing or unknown. |
       *     | `JOB_NOT_FOUND` | 404 | No such job, or not one this caller can see. |
       *     | `UNKNOWN_SERVER` | 404 | No upstream of that name. |
       *     | `UNKNOWN_TOOL` | 404 | The upstream has no tool of that name. |
       *     | `ROUTE_NOT_FOUND` | 404 | No route for this method and path. |
       *     | `NOT_ACCEPTABLE` | 406 | No acceptable representation. Reserved: no route negotiates on `Accept` (the event streams answer any `Accept`). |
       *     | `JOB_FINISHED` | 409 | Cancel of a job that already ended. |
       *     | `JOB_RUNNING` | 409 | Delete of a job that has not ended. |
       *     | `INPUT_NOT_PENDING` | 409 | The input request is not open: answered already (on any replica), expired, or unknown. |
       *     | `IDEMPOTENCY_CONFLICT` | 409 | The `Idempotency-Key` was used with a different body. |
       *     | `REQUEST_TIMEOUT` | 408 | The request did not arrive in time (any path; the connection is closed). |
       *     | `BODY_TOO_LARGE` | 413 | The body is larger than 1 MiB. |
       *     | `UNSUPPORTED_MEDIA_TYPE` | 415 | The body is not JSON. |
       *     | `RATE_LIMITED` | 429 | The key started `RATE_LIMIT_JOBS_PER_MINUTE` jobs within a minute (`Retry-After`). |
       *     | `TOO_MANY_QUEUED_JOBS` | 429 | The key already has `MAX_QUEUED_JOBS_PER_KEY` jobs waiting to run (`Retry-After: 5`). |
       *     | `HEADERS_TOO_LARGE` | 431 | The request headers exceed 16 KiB (any path; the connection is closed). |
       *     | `TOO_MANY_JOBS` | 503 | The store holds `MAX_JOBS` jobs and none has finished (`Retry-After: 5`). |
       *     | `UPSTREAM_UNAVAILABLE` | 503 | The upstream cannot be reached (`Retry-After: 5`). |
       *     | `SHUTTING_DOWN` | 503 | The gateway is shutting down and takes no new jobs. |
       *     | `STORE_UNAVAILABLE` | 503 | The job store cannot be reached (`Retry-After: 2`). Only with `STORE=redis`; the memory store never returns it. |
       *     | `INTERNAL_ERROR` | 500 | An unexpected failure; see the gateway log. |
       * @enum {string}
       */
      code:
        | 'INVALID_REQUEST'
        | 'INVALID_ARGUMENTS'
        | 'INVALID_INPUT'
        | 'UNAUTHORIZED'
        | 'JOB_NOT_FOUND'
        | 'UNKNOWN_SERVER'
        | 'UNKNOWN_TOOL'
        | 'ROUTE_NOT_FOUND'
        | 'NOT_ACCEPTABLE'
        | 'JOB_FINISHED'
        | 'JOB_RUNNING'
        | 'INPUT_NOT_PENDING'
        | 'IDEMPOTENCY_CONFLICT'
        | 'REQUEST_TIMEOUT'
        | 'BODY_TOO_LARGE'
        | 'UNSUPPORTED_MEDIA_TYPE'
        | 'RATE_LIMITED'
        | 'TOO_MANY_QUEUED_JOBS'
        | 'HEADERS_TOO_LARGE'
        | 'TOO_MANY_JOBS'
        | 'UPSTREAM_UNAVAILABLE'
        | 'SHUTTING_DOWN'
        | 'STORE_UNAVAILABLE'
        | 'INTERNAL_ERROR';
      /** @description With `INVALID_REQUEST` from a schema check, with `INVALID_ARGUMENTS` and with `INVALID_INPUT`: one entry per problem. */
      errors?: {
        /** @description A JSON Pointer into the request, prefixed by the part: `/body/...`, `/querystring/...`, `/params/...`; for `INVALID_ARGUMENTS`, into the tool arguments: `/arguments/...`; for `INVALID_INPUT`, into the answer: `/content/...`. For a property that is missing or not allowed it points at that property. */
        pointer: string;
        message: string;
      }[];
    };
    /**
     * @description An upstream and its connection state.
     * @example {
     *       "name": "demo",
     *       "transport": "stdio",
     *       "state": "connected",
     *       "lastError": null,
     *       "lastErrorAt": null,
     *       "connectedAt": "2026-11-28T01:47:21.692Z",
     *       "reconnects": 0,
     *       "activeCalls": 0,
     *       "toolCount": 5,
     *       "protocolVersion": "2025-11-25"
     *     }
     */
    ServerStatus: {
      name: components['schemas']['ServerName'];
      /**
       * @description `stdio` (a command), `streamable-http` (config `type` `http`, `streamable-http`, `streamableHttp`, or a `url` with no type) or `sse` (legacy HTTP+SSE).
       * @enum {string}
       */
      transport: 'stdio' | 'streamable-http' | 'sse';
      /**
       * @description `idle` (never used yet), `connecting`, `connected`, `disconnected` (the connection was lost; it reconnects on next use) or `failed` (the last connection attempt failed).
       * @enum {string}
       */
      state: 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed';
      /** @description Why the last connection attempt failed or the connection was lost (with the last stderr line of a stdio server); kept after a later success. */
      lastError: string | null;
      /** Format: date-time */
      lastErrorAt: string | null;
      /**
       * Format: date-time
       * @description When the current (or last) connection was made.
       */
      connectedAt: string | null;
      /** @description How many times a lost connection was made again. */
      reconnects: number;
      /** @description Tool calls in flight on this upstream now. */
      activeCalls: number;
      /** @description How many tools the upstream lists; `null` before the first connection. */
      toolCount: number | null;
      /** @description The MCP protocol version negotiated with the upstream (`2025-11-25`, `2026-07-28`, ...); `null` before the first connection. The mcpServers entry's `protocol` setting (`auto`, the default, `2025-11-25` or `2026-07-28`) decides which generation is tried. */
      protocolVersion: string | null;
    };
    /** @description One tool of an upstream, from its `tools/list`. */
    Tool: {
      name: string;
      /** @description The tool's `title`, else `annotations.title`, else `null`. */
      title: string | null;
      description: string | null;
      /** @description JSON Schema of the tool's `arguments`. */
      inputSchema: Record<string, unknown>;
      /** @description JSON Schema of the result's `structuredContent`, if the tool declares one. */
      outputSchema: Record<string, unknown> | null;
      /** @description MCP tool annotations (`readOnlyHint`, `destructiveHint`, ...). */
      annotations: Record<string, unknown> | null;
    };
    Readiness: {
      /** @enum {string} */
      status: 'ready' | 'not-ready';
      /** @enum {string} */
      store: 'ok' | 'unavailable';
      upstreams: {
        name: string;
        /** @enum {string} */
        state: 'idle' | 'connecting' | 'connected' | 'disconnected' | 'failed';
      }[];
    };
    /** @description `event: status`. The opening snapshot of every connection has no `id`; in the log, a `status` event (with `id`) marks a change other than the final one (the job starting to run, a new status text, task status, or input request opened or closed). */
    StatusEvent: {
      /** @constant */
      event: 'status';
      /** @description Absent on the opening snapshot. */
      id?: string;
      data: components['schemas']['Job'];
    };
    /** @description `event: progress`, one per upstream progress notification. */
    ProgressEvent: {
      /** @constant */
      event: 'progress';
      id: string;
      data: components['schemas']['Progress'];
    };
    /** @description `event: log`, one per upstream log notification tied to the job's call. */
    LogEvent: {
      /** @constant */
      event: 'log';
      id: string;
      data: components['schemas']['LogMessage'];
    };
    /** @description `event: input_required`, one per input request the upstream makes. */
    InputRequiredEvent: {
      /** @constant */
      event: 'input_required';
      id: string;
      data: components['schemas']['PendingInput'];
    };
    /** @description `event: done`, once and last: the final job (`succeeded`, `failed` or `cancelled`, with `result` or `error`). The server ends the response after it. */
    DoneEvent: {
      /** @constant */
      event: 'done';
      id: string;
      data: components['schemas']['Job'];
    };
    JobIdMember: {
      jobId: components['schemas']['JobId'];
    };
    /** @description `event: status` on `/v1/events`: one id-less snapshot per job first, then state changes. */
    MultiJobStatusEvent: {
      /** @constant */
      event: 'status';
      /** @description A cursor for all the jobs; absent on the opening snapshots. */
      id?: string;
      data: components['schemas']['JobIdMember'] & components['schemas']['Job'];
    };
    MultiJobProgressEvent: {
      /** @constant */
      event: 'progress';
      id: string;
      data: components['schemas']['JobIdMember'] & components['schemas']['Progress'];
    };
    MultiJobLogEvent: {
      /** @constant */
      event: 'log';
      id: string;
      data: components['schemas']['JobIdMember'] & components['schemas']['LogMessage'];
    };
    MultiJobInputRequiredEvent: {
      /** @constant */
      event: 'input_required';
      id: string;
      data: components['schemas']['JobIdMember'] & components['schemas']['PendingInput'];
    };
    MultiJobDoneEvent: {
      /** @constant */
      event: 'done';
      id: string;
      data: components['schemas']['JobIdMember'] & components['schemas']['Job'];
    };
  };
  responses: {
    /** @description `INVALID_REQUEST`: a parameter failed validation; `errors` lists each problem. */
    InvalidRequest: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        /**
         * @example {
         *       "type": "urn:mcp-progress-gateway:problem:INVALID_REQUEST",
         *       "title": "The request is malformed",
         *       "status": 400,
         *       "detail": "/querystring/limit must match pattern \"^(100|[1-9][0-9]?)$\"",
         *       "code": "INVALID_REQUEST",
         *       "errors": [
         *         {
         *           "pointer": "/querystring/limit",
         *           "message": "must match pattern \"^(100|[1-9][0-9]?)$\""
         *         }
         *       ]
         *     }
         */
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `INVALID_REQUEST`: the URL path is not valid percent-encoding. */
    InvalidPath: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `INVALID_REQUEST`: the URL path is not valid percent-encoding, or a body was sent that is not valid JSON. */
    InvalidPathOrBody: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `UNAUTHORIZED`: `API_KEYS` is set and the request has no valid bearer token. */
    Unauthorized: {
      headers: {
        'WWW-Authenticate': components['headers']['WWWAuthenticate'];
        [name: string]: unknown;
      };
      content: {
        /**
         * @example {
         *       "type": "urn:mcp-progress-gateway:problem:UNAUTHORIZED",
         *       "title": "Authentication is required",
         *       "status": 401,
         *       "detail": "Send Authorization: Bearer <API key>",
         *       "code": "UNAUTHORIZED"
         *     }
         */
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `JOB_NOT_FOUND`: no such job, or not one this caller can see (another API key's, expired after `JOB_RETENTION_MS`, evicted, or deleted). */
    JobNotFound: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        /**
         * @example {
         *       "type": "urn:mcp-progress-gateway:problem:JOB_NOT_FOUND",
         *       "title": "No such job",
         *       "status": 404,
         *       "detail": "No job with id 'nope'",
         *       "code": "JOB_NOT_FOUND"
         *     }
         */
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `BODY_TOO_LARGE`: the request body is larger than 1 MiB. */
    BodyTooLarge: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `UNSUPPORTED_MEDIA_TYPE`: a body was sent with a content type other than `application/json` (`text/plain` included). */
    UnsupportedMediaType: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `INTERNAL_ERROR`: an unexpected failure; the detail never shows internals (see the gateway log). */
    InternalError: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description `STORE_UNAVAILABLE` (`STORE=redis` only): the job store cannot be reached (`Retry-After: 2`). The memory store never answers it. */
    StoreUnavailable: {
      headers: {
        'Retry-After': components['headers']['RetryAfter'];
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
  };
  parameters: {
    /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
    JobIdPath: string;
    /** @description A stream token from a job's `links.events` or from `POST /v1/stream-tokens` (only issued when API keys are configured). Without an `Authorization` header it authenticates this request as the key that got the token, for the streams of the jobs it names only (on `/v1/events`, only when every `job` is one the token grants). An expired, tampered or foreign token, or one for other jobs, is `401 UNAUTHORIZED`; an `Authorization` header, when present, wins. The gateway never logs it. */
    StreamToken: string;
    /** @description Makes retries safe: the same key with the same body returns the same job (`200`); with a different body `409 IDEMPOTENCY_CONFLICT`. 1-255 visible ASCII characters, else `400`. */
    IdempotencyKey: string;
    /** @description The id of the last event the client received; `EventSource` sends it on reconnect. Wins over `?lastEventId=` when non-empty. */
    LastEventIdHeader: string;
  };
  requestBodies: never;
  headers: {
    /** @description The job's URL, `/v1/jobs/{id}`. */
    Location: string;
    /** @description Seconds to wait before retrying: `5` for `UPSTREAM_UNAVAILABLE`, `TOO_MANY_JOBS` and `TOO_MANY_QUEUED_JOBS`; `2` for `STORE_UNAVAILABLE`; until the rate window ends for `RATE_LIMITED`; absent for `SHUTTING_DOWN`. */
    RetryAfter: number;
    /** @description The request's id (the client's `X-Request-Id` if valid, else a UUID); also in the gateway's log line. */
    XRequestId: string;
    /** @description `Bearer` when no bearer token was sent; `Bearer error="invalid_token"` for an unknown secret, or an invalid or expired stream token; `Bearer error="insufficient_scope"` for a stream token that does not grant the stream asked for. */
    WWWAuthenticate:
      'Bearer' | 'Bearer error="invalid_token"' | 'Bearer error="insufficient_scope"';
  };
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  listJobs: {
    parameters: {
      query?: {
        /** @description Only jobs in this state. */
        status?: components['schemas']['JobStatus'];
        /** @description Only jobs on this upstream. */
        server?: components['schemas']['ServerName'];
        /** @description Page size, 1 to 100, written as a plain decimal (no sign, no leading zero, no fraction). */
        limit?: number;
        /** @description The `next` value of the previous page (a job id; jobs older than it follow). */
        cursor?: components['schemas']['JobId'];
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description One page of jobs. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['JobList'];
        };
      };
      400: components['responses']['InvalidRequest'];
      401: components['responses']['Unauthorized'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  startJob: {
    parameters: {
      query?: never;
      header?: {
        /** @description Makes retries safe: the same key with the same body returns the same job (`200`); with a different body `409 IDEMPOTENCY_CONFLICT`. 1-255 visible ASCII characters, else `400`. */
        'Idempotency-Key'?: components['parameters']['IdempotencyKey'];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['StartJobRequest'];
      };
    };
    responses: {
      /** @description A retry with the same `Idempotency-Key` and the same body: the job the first request made, in its current state. */
      200: {
        headers: {
          Location: components['headers']['Location'];
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description The job was created and started. */
      202: {
        headers: {
          Location: components['headers']['Location'];
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description `INVALID_REQUEST`: the body is missing or empty, is not valid JSON, or does not match `StartJobRequest` (`errors` lists each problem); the `Idempotency-Key` is not 1-255 visible ASCII characters; or `options.timeoutMs` or `options.idleTimeoutMs` exceeds `JOB_MAX_TIMEOUT_MS`. `INVALID_ARGUMENTS`: `arguments` do not match the tool's `inputSchema` (`errors` lists each problem, pointers start at `/arguments`). */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:INVALID_REQUEST",
           *       "title": "The request is malformed",
           *       "status": 400,
           *       "detail": "/body/options/timeoutMs must be integer",
           *       "code": "INVALID_REQUEST",
           *       "errors": [
           *         {
           *           "pointer": "/body/options/timeoutMs",
           *           "message": "must be integer"
           *         }
           *       ]
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      401: components['responses']['Unauthorized'];
      /** @description `UNKNOWN_SERVER` (no upstream of that name, or one the caller's key may not use) or `UNKNOWN_TOOL` (the upstream has no such tool, or the key may not call it). */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:UNKNOWN_TOOL",
           *       "title": "No such tool on this upstream",
           *       "status": 404,
           *       "detail": "Upstream 'demo' has no tool named 'x'",
           *       "code": "UNKNOWN_TOOL"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      /** @description `IDEMPOTENCY_CONFLICT`: the `Idempotency-Key` was used with a different body. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      413: components['responses']['BodyTooLarge'];
      415: components['responses']['UnsupportedMediaType'];
      /** @description `RATE_LIMITED`: the key (or, running open, the client address) started `RATE_LIMIT_JOBS_PER_MINUTE` jobs within the last minute; `Retry-After` says when the window ends. `TOO_MANY_QUEUED_JOBS`: the job would have to wait and the key already has `MAX_QUEUED_JOBS_PER_KEY` jobs waiting (`Retry-After: 5`). Nothing was created. */
      429: {
        headers: {
          'Retry-After': components['headers']['RetryAfter'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:RATE_LIMITED",
           *       "title": "Too many jobs were started with this key recently",
           *       "status": 429,
           *       "detail": "At most 600 jobs may be started per minute; retry in 12 s",
           *       "code": "RATE_LIMITED"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      500: components['responses']['InternalError'];
      /** @description `UPSTREAM_UNAVAILABLE` (the upstream cannot be reached; `Retry-After: 5`), `TOO_MANY_JOBS` (the store holds `MAX_JOBS` jobs and none has finished; `Retry-After: 5`), `SHUTTING_DOWN` (the gateway is stopping) or `STORE_UNAVAILABLE` (`STORE=redis` only: the job store cannot be reached; `Retry-After: 2`). */
      503: {
        headers: {
          'Retry-After': components['headers']['RetryAfter'];
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  getJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      400: components['responses']['InvalidPath'];
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  deleteJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job is forgotten; it is `404` from now on. */
      204: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components['responses']['InvalidPathOrBody'];
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      /** @description `JOB_RUNNING`: the job has not finished. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:JOB_RUNNING",
           *       "title": "The job is still running",
           *       "status": 409,
           *       "detail": "Job '01k8ftca2idgj3sdtcka6620e2' is still running; cancel it first",
           *       "code": "JOB_RUNNING"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      413: components['responses']['BodyTooLarge'];
      415: components['responses']['UnsupportedMediaType'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  cancelJob: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The job, now `cancelled`. */
      202: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      400: components['responses']['InvalidPathOrBody'];
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      /** @description `JOB_FINISHED`: the job had already ended (succeeded, failed or cancelled). */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:JOB_FINISHED",
           *       "title": "The job has already finished",
           *       "status": 409,
           *       "detail": "Job '01k8ftbq3s6q49p9m4sl1t8vq9' already ended as succeeded",
           *       "code": "JOB_FINISHED"
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      413: components['responses']['BodyTooLarge'];
      415: components['responses']['UnsupportedMediaType'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  answerInput: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "requestId": "Zx3v9Q2m8KfT1aBc",
         *       "action": "accept",
         *       "content": {
         *         "interpretation": "programming"
         *       }
         *     }
         */
        'application/json': components['schemas']['InputAnswer'];
      };
    };
    responses: {
      /** @description The job after the answer (the request no longer in `pendingInput`). */
      202: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description `INVALID_REQUEST`: the path or body is malformed; `INVALID_INPUT`: `content` does not satisfy the request's form (each problem in `errors`), or content came with an answer that takes none. */
      400: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "type": "urn:mcp-progress-gateway:problem:INVALID_INPUT",
           *       "title": "The answer does not fit the request's form",
           *       "status": 400,
           *       "detail": "/content/interpretation is required",
           *       "code": "INVALID_INPUT",
           *       "errors": [
           *         {
           *           "pointer": "/content/interpretation",
           *           "message": "is required"
           *         }
           *       ]
           *     }
           */
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      /** @description `INPUT_NOT_PENDING`: the request was already answered, expired, or never existed. */
      409: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      413: components['responses']['BodyTooLarge'];
      415: components['responses']['UnsupportedMediaType'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  streamJobEvents: {
    parameters: {
      query?: {
        /** @description A stream token from a job's `links.events` or from `POST /v1/stream-tokens` (only issued when API keys are configured). Without an `Authorization` header it authenticates this request as the key that got the token, for the streams of the jobs it names only (on `/v1/events`, only when every `job` is one the token grants). An expired, tampered or foreign token, or one for other jobs, is `401 UNAUTHORIZED`; an `Authorization` header, when present, wins. The gateway never logs it. */
        token?: components['parameters']['StreamToken'];
        /** @description Where to resume when no `Last-Event-ID` header is sent (first connection). Any value is accepted: one that cannot be placed replays what is retained. */
        lastEventId?: string;
      };
      header?: {
        /** @description The id of the last event the client received; `EventSource` sends it on reconnect. Wins over `?lastEventId=` when non-empty. */
        'Last-Event-ID'?: components['parameters']['LastEventIdHeader'];
      };
      path: {
        /** @description A job id. Any string is accepted; one that is not a job id the caller can see is `404 JOB_NOT_FOUND`. */
        id: components['parameters']['JobIdPath'];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The event stream. It ends after `done`. */
      200: {
        headers: {
          /** @description Always `no-cache, no-transform`. */
          'Cache-Control'?: 'no-cache, no-transform';
          /** @description Always `no` (tells nginx not to buffer the stream). */
          'X-Accel-Buffering'?: 'no';
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example retry: 2000
           *
           *     event: status
           *     data: {"id":"01k8ftbq3s6q49p9m4sl1t8vq9","server":"demo","tool":"countdown","status":"running",...}
           *
           *     id: 1t8vq9.1
           *     event: status
           *     data: {"id":"01k8ftbq3s6q49p9m4sl1t8vq9","server":"demo","tool":"countdown","status":"running",...}
           *
           *     id: 1t8vq9.2
           *     event: progress
           *     data: {"progress":1,"total":3,"message":"2 seconds left","percent":33.33}
           *
           *     id: 1t8vq9.3
           *     event: log
           *     data: {"level":"info","logger":"countdown","data":"2 seconds left"}
           *
           *     id: 1t8vq9.8
           *     event: done
           *     data: {"id":"01k8ftbq3s6q49p9m4sl1t8vq9","status":"succeeded","result":{"content":[{"type":"text","text":"Countdown from 3 finished"}]},...}
           */
          'text/event-stream': string;
        };
      };
      /** @description The `Last-Event-ID` is the id of the job's `done` event: there is nothing more to send. Empty body; an `EventSource` stops reconnecting. */
      204: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `INVALID_REQUEST`: the path is not valid percent-encoding. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  streamManyJobEvents: {
    parameters: {
      query: {
        /** @description A job to follow; repeat for each job (1 to 50 distinct ids; a repeated id counts once, more than 50 distinct ids is `400 INVALID_REQUEST`). */
        job: string[];
        /** @description A stream token from a job's `links.events` or from `POST /v1/stream-tokens` (only issued when API keys are configured). Without an `Authorization` header it authenticates this request as the key that got the token, for the streams of the jobs it names only (on `/v1/events`, only when every `job` is one the token grants). An expired, tampered or foreign token, or one for other jobs, is `401 UNAUTHORIZED`; an `Authorization` header, when present, wins. The gateway never logs it. */
        token?: components['parameters']['StreamToken'];
        /** @description Where to resume when no `Last-Event-ID` header is sent (first connection). Any value is accepted: one that cannot be placed replays what is retained. */
        lastEventId?: string;
      };
      header?: {
        /** @description The id of the last event the client received; `EventSource` sends it on reconnect. Wins over `?lastEventId=` when non-empty. */
        'Last-Event-ID'?: components['parameters']['LastEventIdHeader'];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The event stream. It ends after every job's `done`. */
      200: {
        headers: {
          /** @description Always `no-cache, no-transform`. */
          'Cache-Control'?: 'no-cache, no-transform';
          /** @description Always `no`. */
          'X-Accel-Buffering'?: 'no';
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example retry: 2000
           *
           *     event: status
           *     data: {"jobId":"01k8ftfkun75bv81oekccnnra7","id":"01k8ftfkun75bv81oekccnnra7","status":"running",...}
           *
           *     event: status
           *     data: {"jobId":"01k8ftfl3p51vqtslvr5cngdn7","id":"01k8ftfl3p51vqtslvr5cngdn7","status":"running",...}
           *
           *     id: cnnra7.2~
           *     event: progress
           *     data: {"jobId":"01k8ftfkun75bv81oekccnnra7","progress":1,"total":2,"message":"1 second left","percent":50}
           *
           *     id: cnnra7.2~cngdn7.2
           *     event: progress
           *     data: {"jobId":"01k8ftfl3p51vqtslvr5cngdn7","progress":1,"total":null,"message":"fetched page 1","percent":null}
           */
          'text/event-stream': string;
        };
      };
      /** @description The cursor covers every job's `done`. Empty body. */
      204: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `INVALID_REQUEST`: no `job` parameter, or more than 50 distinct jobs. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  createStreamToken: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "jobs": [
         *         "01k8ftfkun75bv81oekccnnra7",
         *         "01k8ftfl3p51vqtslvr5cngdn7"
         *       ]
         *     }
         */
        'application/json': {
          /** @description The jobs the token is for (1 to 50). */
          jobs: string[];
        };
      };
    };
    responses: {
      /** @description The token and the stream URL that carries it. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "token": "eyJvd25lciI6ImFsaWNlIiwiam9icyI6WyIwMWs4...fQ.kq0G1m4Xw...",
           *       "url": "/v1/events?job=01k8ftfkun75bv81oekccnnra7&job=01k8ftfl3p51vqtslvr5cngdn7&token=eyJvd25lciI6ImFsaWNlIiwiam9icyI6WyIwMWs4...fQ.kq0G1m4Xw...",
           *       "expiresAt": "2026-11-28T02:02:22.000Z"
           *     }
           */
          'application/json': {
            /** @description The stream token; `null` when the gateway runs open. */
            token: string | null;
            /**
             * Format: uri-reference
             * @description `/v1/events?job=<id>&...` with `&token=<token>` when there is one.
             */
            url: string;
            /**
             * Format: date-time
             * @description When the token stops working; `null` when the gateway runs open.
             */
            expiresAt: string | null;
          };
        };
      };
      /** @description `INVALID_REQUEST`: the body is missing, not JSON, or not `{"jobs": [...]}` with 1 to 50 ids (`errors` lists each problem). */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      401: components['responses']['Unauthorized'];
      404: components['responses']['JobNotFound'];
      413: components['responses']['BodyTooLarge'];
      415: components['responses']['UnsupportedMediaType'];
      500: components['responses']['InternalError'];
      503: components['responses']['StoreUnavailable'];
    };
  };
  listServers: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The upstreams, in configuration order. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            servers: components['schemas']['ServerStatus'][];
          };
        };
      };
      401: components['responses']['Unauthorized'];
      500: components['responses']['InternalError'];
    };
  };
  listServerTools: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The upstream's name, as configured. */
        name: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The tools. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            tools: components['schemas']['Tool'][];
          };
        };
      };
      400: components['responses']['InvalidPath'];
      401: components['responses']['Unauthorized'];
      /** @description `UNKNOWN_SERVER`: no upstream of that name, or one the caller's key may not use. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
      500: components['responses']['InternalError'];
      /** @description `UPSTREAM_UNAVAILABLE`: the upstream cannot be reached (`Retry-After: 5`). */
      503: {
        headers: {
          'Retry-After': components['headers']['RetryAfter'];
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  metrics: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The metrics. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
    };
  };
  openapiJson: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description openapi.yaml as JSON. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': Record<string, unknown>;
        };
      };
    };
  };
  openapiYaml: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description openapi.yaml as committed. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/yaml': string;
        };
      };
    };
  };
  apiReference: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The page. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'text/html': string;
        };
      };
    };
  };
  dashboard: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The page. */
      200: {
        headers: {
          /** @description Changes when the page does. */
          ETag: string;
          /** @description Always `no-cache` (revalidate with `If-None-Match`). */
          'Cache-Control': 'no-cache';
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'text/html': string;
        };
      };
      /** @description `If-None-Match` names the current `ETag`. Empty body. */
      304: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description `ROUTE_NOT_FOUND`: the dashboard is not built (`npm run build`). */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/problem+json': components['schemas']['Problem'];
        };
      };
    };
  };
  health: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Alive. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            /** @constant */
            status: 'ok';
          };
        };
      };
    };
  };
  ready: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Ready. */
      200: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "status": "ready",
           *       "store": "ok",
           *       "upstreams": [
           *         {
           *           "name": "demo",
           *           "state": "connected"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['Readiness'];
        };
      };
      /** @description Not ready (shutting down, the store does not answer, or the upstreams `READINESS_UPSTREAMS` requires are not connected). Same JSON body, not a problem document. */
      503: {
        headers: {
          'X-Request-Id': components['headers']['XRequestId'];
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Readiness'];
        };
      };
    };
  };
}
