/**
 * HTTP/1.1 by hand, for what supertest and fetch cannot send or show: malformed requests,
 * pipelined requests, and a request held half-sent so that its connection stays busy.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { TestContext } from 'node:test';
import type { TestGateway } from './gateway.js';

/** Sends `bytes` on a new connection and resolves with all it reads until the server closes. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.end(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body, de-chunked. */
  body: string;
}

/** Splits the HTTP/1.1 answers read off one connection (Content-Length or chunked bodies). */
export function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const split = text.indexOf('\r\n\r\n', at);
    assert.ok(split > 0, `an HTTP answer at ${at}: ${JSON.stringify(text.slice(at, at + 200))}`);
    const [statusLine, ...lines] = text.slice(at, split).split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!);
    assert.ok(status, `status line: ${statusLine}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let body = '';
    at = split + 4;
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, lineEnd), 16);
        assert.ok(Number.isInteger(size), `a chunk size at ${at}`);
        at = lineEnd + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        body += text.slice(at, at + size);
        at += size + 2;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      body = text.slice(at, at + length);
      assert.equal(Buffer.byteLength(body, 'latin1'), length, 'the whole Content-Length body');
      at += length;
    }
    responses.push({ status: Number(status[1]), headers, body });
  }
  return responses;
}

/**
 * A `POST path` whose head the gateway has routed and whose body is held back: its connection
 * stays busy (shutdown does not close it) until `finish` sends the rest, and with it any
 * request to pipeline behind. `finish` resolves with every answer once the server closes the
 * connection (as a gateway that shuts down does after its answer).
 */
export async function holdRequest(
  t: TestContext,
  gw: TestGateway,
  path: string,
  body: string,
  requestId: string,
): Promise<{ finish(pipelined?: string): Promise<RawResponse[]> }> {
  const routed = new Promise<void>((resolve) => {
    gw.app.server.on('request', (req) => {
      if (req.headers['x-request-id'] === requestId) resolve();
    });
  });
  const socket = net.connect(Number(new URL(gw.url).port), '127.0.0.1');
  t.after(() => socket.destroy());
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n` +
      `X-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body.slice(0, 5),
  );
  await routed;
  return {
    async finish(pipelined = '') {
      // Not half-closed: Node would answer the POST and drop what is pipelined behind it.
      socket.write(body.slice(5) + pipelined);
      await closed;
      return parseResponses(received);
    },
  };
}
