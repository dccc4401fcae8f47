import type { CallToolResult, Job, JobErrorCode, Problem, ProblemCode } from './types.js';

/** Codes the client itself reports, for failures that never reached a gateway answer. */
export type ClientOnlyCode =
  /** The gateway could not be reached (fetch failed), or the event stream kept failing. */
  | 'NETWORK_ERROR'
  /** A non-2xx answer that was not a problem document (a proxy's error page, say). */
  | 'HTTP_ERROR'
  /** An answer the client could not understand (not JSON, not an event stream, ...). */
  | 'INVALID_RESPONSE'
  /** `watch(...).close()` was called before the job ended. */
  | 'CLOSED';

/**
 * Every code a `GatewayClientError` can carry: the gateway's problem codes (HTTP errors), its
 * job error codes (a failed or cancelled job, `TOOL_ERROR` for an `isError` result), and the
 * client's own.
 */
export type ClientErrorCode = ProblemCode | JobErrorCode | ClientOnlyCode;

export interface GatewayClientErrorOptions {
  /** The HTTP status, for errors that came from an HTTP answer. */
  status?: number | undefined;
  /** The job, for errors about a job (its final state when it failed or was cancelled). */
  job?: Job | undefined;
  /** The tool's result, for `TOOL_ERROR` (an `isError: true` result). */
  result?: CallToolResult | undefined;
  /** The problem document, for HTTP errors. */
  problem?: Problem | undefined;
  cause?: unknown;
}

/** The error every client method rejects with. `code` is the gateway's stable code. */
export class GatewayClientError extends Error {
  override name = 'GatewayClientError';
  readonly code: ClientErrorCode;
  readonly status: number | undefined;
  readonly job: Job | undefined;
  readonly result: CallToolResult | undefined;
  readonly problem: Problem | undefined;

  constructor(code: ClientErrorCode, message: string, options: GatewayClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.job = options.job;
    this.result = options.result;
    this.problem = options.problem;
  }
}

/**
 * What an aborted call rejects with: `name` is `'AbortError'` (as for an aborted `fetch`), `code`
 * is `CANCELLED` (the call was cancelled on the gateway) or `CLOSED` (a watch was closed), and
 * `cause` is the signal's reason.
 */
export class GatewayAbortError extends GatewayClientError {
  override name = 'AbortError';

  constructor(
    code: Extract<ClientErrorCode, 'CANCELLED' | 'CLOSED'>,
    message: string,
    options: GatewayClientErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** Whether `error` is a `GatewayClientError`, with `code` among `codes` if any are given. */
export function isGatewayClientError(
  error: unknown,
  ...codes: ClientErrorCode[]
): error is GatewayClientError {
  return error instanceof GatewayClientError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * Runs a caller's handler: what it throws goes to `report`, and what `report` throws nowhere, so
 * that a throwing handler never stops a stream.
 */
export function callHandler(run: () => void, report: (error: unknown) => void): void {
  try {
    run();
  } catch (error) {
    try {
      report(error);
    } catch {
      // Nowhere left to report it.
    }
  }
}
