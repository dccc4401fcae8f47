import { GatewayAbortError, GatewayClientError } from './errors.js';
import type { Problem } from './types.js';

/** The text of an error (or anything thrown), for messages. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The rejection for a call whose `signal` was aborted. */
export function abortError(
  signal: AbortSignal,
  message = 'The call was aborted',
): GatewayAbortError {
  return new GatewayAbortError('CANCELLED', message, { cause: signal.reason });
}

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).code === 'string' &&
    typeof (body as Problem).status === 'number'
  );
}

/**
 * The error for a non-2xx answer: the problem document's `code` (RFC 9457, as the gateway
 * always answers), else `HTTP_ERROR` with the status (a proxy's error page, say).
 */
export async function errorFromResponse(
  response: Response,
  what: string,
): Promise<GatewayClientError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The body is only detail: the status still says what happened.
  }
  const status = response.status;
  if (/json/i.test(response.headers.get('content-type') ?? '')) {
    try {
      const body: unknown = JSON.parse(text);
      if (isProblem(body)) {
        return new GatewayClientError(body.code, body.detail || body.title || `HTTP ${status}`, {
          status,
          problem: body,
        });
      }
    } catch {
      // Not JSON after all: fall through to the plain HTTP error.
    }
  }
  return new GatewayClientError('HTTP_ERROR', `${what} answered HTTP ${status}`, { status });
}

/** Whether trying again later can help: network trouble and 5xx, 408 and 429 answers. */
export function isRetryable(error: GatewayClientError): boolean {
  if (error.code === 'NETWORK_ERROR' || error.code === 'INVALID_RESPONSE') return true;
  const status = error.status;
  return status !== undefined && (status >= 500 || status === 408 || status === 429);
}

/** Releases a response body the client does not read. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}
