/**
 * What a replica answers on a connection that is already open while it shuts down: the
 * documented answers (problem+json, a Readiness body, a stream that ends so the client resumes
 * elsewhere), not Fastify's plain-JSON 503. Two replicas on one Redis, so a job keeps running
 * (on A) while B stops.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { deleteKeys, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

const redis = await redisForTests();

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits pipelined HTTP/1.1 responses (Content-Length or chunked bodies) read off one socket. */
function parseResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const split = text.indexOf('\r\n\r\n', at);
    assert.ok(split > 0, `an HTTP head at ${at}: ${JSON.stringify(text.slice(at, at + 200))}`);
    const [statusLine, ...lines] = text.slice(at, split).split('\r\n');
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
      at += length;
    }
    responses.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)![1]), headers, body });
  }
  return responses;
}

test(
  'a replica that shuts down answers open connections as documented, and its streams end for a resume elsewhere',
  { skip: redis.skip },
  async (t) => {
    const prefix = uniquePrefix('shutdown-requests');
    t.after(() => deleteKeys(redis.url, prefix));
    const env = { STORE: 'redis', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    const a = await startGateway(t, { env });
    const b = await startGateway(t, { env });
    const job = await a.startJob({ server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } });

    // On B, requests whose heads are routed before B starts closing and whose bodies come after
    // keep their connections busy; the request pipelined behind each arrives during shutdown
    // (Node answers it, then closes the connection).
    const body = JSON.stringify({ server: 'fixture', tool: 'echo' });
    const port = Number(new URL(b.url).port);
    const held = async (name: string) => {
      const requestId = `shutdown.${name}`;
      const routed = new Promise<void>((resolve) => {
        b.app.server.on('request', (req) => {
          if (req.headers['x-request-id'] === requestId) resolve();
        });
      });
      const socket = net.connect(port, '127.0.0.1');
      t.after(() => socket.destroy());
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        'POST /v1/jobs HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n' +
          `X-Request-Id: ${requestId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
          body.slice(0, 5),
      );
      await routed;
      return {
        /** Sends the rest of the POST, then `path`; resolves with both answers. */
        async finish(path: string): Promise<RawResponse[]> {
          socket.write(`${body.slice(5)}GET ${path} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
          await closed;
          return parseResponses(received);
        },
      };
    };
    const connections = [await held('read'), await held('ready'), await held('stream')];
    const closing = b.close();
    await waitUntil(() => b.app.gateway.streams.shuttingDown, 'B to end its streams');
    const [[post, read], [, ready], [, stream]] = await Promise.all([
      connections[0]!.finish(`/v1/jobs/${job.id}`),
      connections[1]!.finish('/readyz'),
      connections[2]!.finish(`/v1/jobs/${job.id}/events`),
    ]);
    await closing;

    assert.equal(post!.status, 503);
    assert.match(post!.headers['content-type']!, /^application\/problem\+json/);
    assert.equal(JSON.parse(post!.body).code, 'SHUTTING_DOWN');
    // Reads still work: the job runs on A.
    assert.equal(read!.status, 200, read!.body);
    assert.equal(JSON.parse(read!.body).status, 'running');
    assert.equal(ready!.status, 503);
    assert.equal(JSON.parse(ready!.body).status, 'not-ready');
    // The stream opens with its snapshot, then ends without done: the client resumes elsewhere.
    assert.equal(stream!.status, 200);
    assert.match(stream!.headers['content-type']!, /^text\/event-stream/);
    assert.match(stream!.body, /^retry: \d+\n\nevent: status\n/);
    assert.doesNotMatch(stream!.body, /event: done/);
    assert.equal(b.app.gateway.streams.size, 0);

    // The job is untouched on A.
    assert.equal((await a.http.get(`/v1/jobs/${job.id}`)).body.status, 'running');
  },
);
