/**
 * Every error the gateway reports, with a stable code. HTTP problems (RFC 9457) and the
 * `error` of a failed or cancelled job share one catalogue, so a code means the same thing
 * wherever a client meets it. test/docs/openapi.test.ts checks that openapi.yaml lists every code.
 */

/** Codes answered as `application/problem+json` on HTTP requests. */
export const PROBLEMS = {
  INVALID_REQUEST: { status: 400, title: 'The request is malformed' },
  INVALID_ARGUMENTS: { status: 400, title: 'The tool arguments are invalid' },
  INVALID_INPUT: { status: 400, title: "The answer does not fit the request's form" },
  UNAUTHORIZED: { status: 401, title: 'Authentication is required' },
  JOB_NOT_FOUND: { status: 404, title: 'No such job' },
  UNKNOWN_SERVER: { status: 404, title: 'No such upstream server' },
  UNKNOWN_TOOL: { status: 404, title: 'No such tool on this upstream' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  NOT_ACCEPTABLE: { status: 406, title: 'No acceptable representation' },
  JOB_FINISHED: { status: 409, title: 'The job has already finished' },
  JOB_RUNNING: { status: 409, title: 'The job is still running' },
  INPUT_NOT_PENDING: { status: 409, title: 'The input request is not open' },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    title: 'The idempotency key was used with a different request',
  },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be JSON' },
  RATE_LIMITED: { status: 429, title: 'Too many jobs were started with this key recently' },
  TOO_MANY_QUEUED_JOBS: {
    status: 429,
    title: 'This key already has as many jobs waiting to run as it may',
  },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  TOO_MANY_JOBS: { status: 503, title: 'The gateway holds as many jobs as it may' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'The upstream server cannot be reached' },
  SHUTTING_DOWN: { status: 503, title: 'The gateway is shutting down' },
  STORE_UNAVAILABLE: { status: 503, title: 'The job store cannot be reached' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** Codes that can stand in a job's `error`. */
export const JOB_ERRORS = {
  TOOL_ERROR: 'The tool returned a result with isError: true (the result is kept)',
  UPSTREAM_ERROR: 'The upstream answered the call with a JSON-RPC error',
  UPSTREAM_DISCONNECTED: 'The upstream connection closed while the call ran',
  UPSTREAM_UNAVAILABLE: 'The upstream could not be reached',
  UNKNOWN_TOOL: 'The upstream does not offer this tool',
  JOB_TIMEOUT: 'The call passed its hard deadline (options.timeoutMs)',
  JOB_IDLE_TIMEOUT: 'No progress arrived within options.idleTimeoutMs',
  CANCELLED: 'A client cancelled the job',
  GATEWAY_SHUTDOWN: 'The gateway shut down while the job ran',
  GATEWAY_INSTANCE_LOST: 'The gateway replica that ran the job stopped renewing its lease',
  INTERNAL_ERROR: 'The gateway failed unexpectedly while running the job',
} as const;

export type JobErrorCode = keyof typeof JOB_ERRORS;

/** An error that maps to an HTTP problem response. */
export class GatewayError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  /** Extra members for the problem body (e.g. `errors` for INVALID_ARGUMENTS). */
  readonly extensions: Record<string, unknown>;
  /** Response headers that go with this problem (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    options: {
      extensions?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** A job's terminal error, as stored on the job and shown to clients. */
export interface JobError {
  code: JobErrorCode;
  message: string;
}

/** Raised for a bad setting or mcpServers file; main.ts prints it and exits non-zero. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
