import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError } from 'fastify';
import { PROBLEMS, type ProblemCode } from '../errors.js';
import { JSON_CSP } from './security-headers.js';

/** The statuses Node's HTTP parser leads to, by its error code. */
function codeFor(error: ConnectionError): ProblemCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  return 'INVALID_REQUEST';
}

const DETAILS: Partial<Record<ProblemCode, string>> = {
  INVALID_REQUEST: 'The request is not valid HTTP/1.1',
  HEADERS_TOO_LARGE: 'The request headers are larger than the gateway accepts (16 KiB)',
  REQUEST_TIMEOUT: 'The request was not received in time',
};

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refuses (a bad header character, too
 * large headers, a garbled request line, too slow) is answered with a problem document like
 * every other error, instead of Fastify's plain JSON, and the connection is closed. It carries
 * the headers every answer does (openapi.yaml, "Common headers"); its X-Request-Id is a fresh
 * UUID, since the request's own cannot be trusted to have been read.
 */
export function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = codeFor(error);
  const { status, title } = PROBLEMS[code];
  // A HEAD answer has no body; the request line is in the packet when the headers failed.
  const packet: unknown = (error as { rawPacket?: unknown }).rawPacket;
  const head = Buffer.isBuffer(packet) && packet.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = head
    ? ''
    : JSON.stringify({
        type: `urn:mcp-progress-gateway:problem:${code}`,
        title,
        status,
        detail: DETAILS[code],
        code,
      });
  // Only when nothing was written yet: after a response (sent before the body was read), the
  // rest of the request failing to parse must not put a second response on the wire.
  if (socket.writable && socket.bytesWritten === 0) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        'Referrer-Policy: no-referrer\r\n' +
        `Content-Security-Policy: ${JSON_CSP}\r\n` +
        'Cache-Control: no-store\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
