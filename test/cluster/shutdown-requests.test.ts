/**
 * What a replica answers on a connection that is already open while it shuts down: the
 * documented answers (problem+json, a Readiness body, a stream that ends so the client resumes
 * elsewhere), not Fastify's plain-JSON 503. Two replicas on one Redis, so a job keeps running
 * (on A) while B stops.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { holdRequest } from '../helpers/raw-http.js';
import { deleteKeys, redisForTests, uniquePrefix } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';

const redis = await redisForTests();

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
    const connections = [];
    for (const name of ['read', 'ready', 'stream']) {
      connections.push(await holdRequest(t, b, '/v1/jobs', body, `shutdown.${name}`));
    }
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: gateway\r\n\r\n`;
    const closing = b.close();
    await waitUntil(() => b.app.gateway.streams.shuttingDown, 'B to end its streams');
    const [[post, read], [, ready], [, stream]] = await Promise.all([
      connections[0]!.finish(get(`/v1/jobs/${job.id}`)),
      connections[1]!.finish(get('/readyz')),
      connections[2]!.finish(get(`/v1/jobs/${job.id}/events`)),
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
