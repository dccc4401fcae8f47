/**
 * The client's public types. Every request, response and event type is derived from the types
 * that openapi-typescript generated from openapi.yaml (./openapi-types.ts), so a change to the API
 * description that the client does not follow fails `tsc`.
 */
import type { components, operations } from './openapi-types.js';

type Schemas = components['schemas'];
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** A job, as every response and every `status`/`done` event shows it. */
export type Job = Schemas['Job'];
export type JobId = Schemas['JobId'];
export type JobStatus = Schemas['JobStatus'];
/** The statuses a job ends in. */
export type FinalJobStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>;
export type JobLinks = Job['links'];
/** A job's latest progress: `{progress, total, message, percent}` (`null`s where unknown). */
export type Progress = Schemas['Progress'];
/** An upstream log notification: `{level, logger, data}`. */
export type LogMessage = Schemas['LogMessage'];
export type LogLevel = LogMessage['level'];
/** Why a job failed or was cancelled. */
export type JobError = Schemas['JobError'];
export type JobErrorCode = JobError['code'];
/** An RFC 9457 problem document: every non-2xx JSON answer. */
export type Problem = Schemas['Problem'];
export type ProblemCode = Problem['code'];

/** The body of `POST /v1/jobs`. */
export type StartJobRequest = operations['startJob']['requestBody']['content']['application/json'];
/** `options` of `POST /v1/jobs`: the gateway-enforced deadlines. */
export type JobOptions = NonNullable<StartJobRequest['options']>;
/** Tool arguments: any JSON object. */
export type ToolArguments = NonNullable<StartJobRequest['arguments']>;
/** The query of `GET /v1/jobs`. */
export type ListJobsQuery = NonNullable<operations['listJobs']['parameters']['query']>;
/** `GET /v1/jobs`: `{jobs, next}`. */
export type JobList = Json<operations['listJobs']['responses'][200]>;
/** `GET /v1/servers`: `{servers}`. */
export type ServerList = Json<operations['listServers']['responses'][200]>;
export type ServerStatus = Schemas['ServerStatus'];
/** `GET /v1/servers/{name}/tools`: `{tools}`. */
export type ToolList = Json<operations['listServerTools']['responses'][200]>;
export type Tool = Schemas['Tool'];

/** Events of `GET /v1/jobs/{id}/events`, with `data` parsed. */
export type StatusEvent = Schemas['StatusEvent'];
export type ProgressEvent = Schemas['ProgressEvent'];
export type LogEvent = Schemas['LogEvent'];
export type DoneEvent = Schemas['DoneEvent'];
export type JobEvent = StatusEvent | ProgressEvent | LogEvent | DoneEvent;
export type JobEventType = JobEvent['event'];

/** Events of `GET /v1/events?job=...` (each `data` carries `jobId`). */
export type MultiJobEvent =
  | Schemas['MultiJobStatusEvent']
  | Schemas['MultiJobProgressEvent']
  | Schemas['MultiJobLogEvent']
  | Schemas['MultiJobDoneEvent'];

/**
 * One item of an MCP tool result's `content`. Narrow on `type`; later MCP versions may add
 * types, so handle the ones you know and skip the rest.
 */
export type ContentBlock =
  | { type: 'text'; text: string; [key: string]: unknown }
  | { type: 'image' | 'audio'; data: string; mimeType: string; [key: string]: unknown }
  | {
      type: 'resource_link';
      uri: string;
      name: string;
      mimeType?: string;
      description?: string;
      [key: string]: unknown;
    }
  | {
      type: 'resource';
      resource: { uri: string; mimeType?: string; text?: string; blob?: string };
      [key: string]: unknown;
    };

/**
 * An MCP `CallToolResult`, as the upstream returned it: the non-null `result` of a job that
 * succeeded (or failed with `TOOL_ERROR`).
 */
export type CallToolResult = NonNullable<Job['result']> & {
  content: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

/**
 * Receives each progress notification of a call, as MCP clients' progress handlers do
 * (`total` and `message` are `undefined` when the upstream sent none). `detail` is the gateway's
 * progress object, with `percent`.
 */
export type ProgressHandler = (
  progress: number,
  total: number | undefined,
  message: string | undefined,
  detail: Progress,
) => void;

/** Receives each log notification of a call. */
export type LogHandler = (message: LogMessage) => void;

/** Receives the job each time its status changes (including the final one). */
export type StatusHandler = (job: Job) => void;

/** Receives every event of the stream once, in order (not the opening snapshots). */
export type EventHandler = (event: JobEvent) => void;

/** The subset of `fetch` the client uses; pass your own (a wrapper, a polyfill) if needed. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
