/**
 * CORS with an allow-list of origins (preflights for EventSource's Last-Event-ID included), and
 * the security headers on JSON responses, without touching /docs or the event streams.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { startGateway } from '../helpers/gateway.js';
import { openSse } from '../helpers/sse-client.js';
import { KEYS_ENV, alice, problem } from './support.js';

const ALLOWED = 'https://app.example.com';
const LOCAL = 'http://localhost:5173';
const CORS_ENV = { ...KEYS_ENV, CORS_ORIGINS: `${ALLOWED}, ${LOCAL}` };
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";

const corsHeaders = (headers: Record<string, unknown>) =>
  Object.keys(headers).filter((name) => name.startsWith('access-control-'));

const list = (value: unknown) =>
  String(value)
    .split(',')
    .map((v) => v.trim().toLowerCase());

describe('CORS', () => {
  test('a preflight from an allowed origin is answered before authentication', async (t) => {
    const gw = await startGateway(t, { env: CORS_ENV });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    for (const origin of [ALLOWED, LOCAL]) {
      // What a page's EventSource reconnect and a fetch with a bearer key ask for.
      const sse = await gw.http
        .options(`/v1/jobs/${job.id}/events`)
        .set('origin', origin)
        .set('access-control-request-method', 'GET')
        .set('access-control-request-headers', 'last-event-id');
      assert.equal(sse.status, 204, sse.text);
      assert.equal(sse.headers['access-control-allow-origin'], origin);
      assert.ok(list(sse.headers['access-control-allow-methods']).includes('get'));
      const allowed = list(sse.headers['access-control-allow-headers']);
      for (const header of ['last-event-id', 'authorization', 'content-type', 'idempotency-key']) {
        assert.ok(allowed.includes(header), `${header} in ${allowed}`);
      }
      assert.ok(list(sse.headers.vary).includes('origin'), 'Vary: Origin');
      assert.equal(sse.headers['access-control-allow-credentials'], undefined);

      const post = await gw.http
        .options('/v1/jobs')
        .set('origin', origin)
        .set('access-control-request-method', 'POST')
        .set('access-control-request-headers', 'authorization, content-type, idempotency-key');
      assert.equal(post.status, 204, post.text);
      assert.equal(post.headers['access-control-allow-origin'], origin);
      assert.ok(list(post.headers['access-control-allow-methods']).includes('post'));
      const del = await gw.http
        .options(`/v1/jobs/${job.id}`)
        .set('origin', origin)
        .set('access-control-request-method', 'DELETE');
      assert.ok(list(del.headers['access-control-allow-methods']).includes('delete'));
    }
  });

  test('a preflight from any other origin gets no CORS header at all', async (t) => {
    const gw = await startGateway(t, { env: CORS_ENV });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    for (const origin of [
      'https://evil.example',
      'https://app.example.com.evil.example',
      'http://app.example.com',
      'https://APP.example.com',
      'null',
      `${ALLOWED}:443`,
    ]) {
      const res = await gw.http
        .options(`/v1/jobs/${job.id}/events`)
        .set('origin', origin)
        .set('access-control-request-method', 'GET')
        .set('access-control-request-headers', 'last-event-id');
      assert.deepEqual(corsHeaders(res.headers), [], `${origin}: ${JSON.stringify(res.headers)}`);
      problem(res, 404, 'ROUTE_NOT_FOUND', origin);
    }
    // Not even with no allow-list configured at all.
    const closed = await startGateway(t, { env: KEYS_ENV });
    const res = await closed.http
      .options('/v1/jobs')
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST');
    assert.deepEqual(corsHeaders(res.headers), []);
    problem(res, 404, 'ROUTE_NOT_FOUND');
  });

  test('actual requests: an allowed origin may read the answer and the exposed headers', async (t) => {
    const gw = await startGateway(t, { env: CORS_ENV });
    const res = await gw.http
      .post('/v1/jobs')
      .set(alice)
      .set('origin', ALLOWED)
      .send({ server: 'fixture', tool: 'echo' });
    assert.equal(res.status, 202, res.text);
    assert.equal(res.headers['access-control-allow-origin'], ALLOWED);
    const exposed = list(res.headers['access-control-expose-headers']);
    for (const header of ['location', 'x-request-id', 'retry-after']) {
      assert.ok(exposed.includes(header), `${header} in ${exposed}`);
    }
    // Problems carry them too (a page must read a 401 or a 429).
    const unauthorized = await gw.http.get('/v1/jobs').set('origin', ALLOWED);
    problem(unauthorized, 401, 'UNAUTHORIZED');
    assert.equal(unauthorized.headers['access-control-allow-origin'], ALLOWED);
    // The event stream, opened cross-origin with its token, as EventSource would.
    const stream = await openSse(`${gw.url}${res.body.links.events}`, { origin: ALLOWED });
    await stream.ended;
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['access-control-allow-origin'], ALLOWED);

    const evil = await gw.http.get('/v1/jobs').set(alice).set('origin', 'https://evil.example');
    assert.equal(evil.status, 200);
    assert.deepEqual(corsHeaders(evil.headers), []);
    const none = await gw.http.get('/v1/jobs').set(alice);
    assert.deepEqual(corsHeaders(none.headers), []);
  });

  test('CORS_ORIGINS accepts origins only', () => {
    for (const bad of [
      '*',
      'app.example.com',
      'https://app.example.com/',
      'https://app.example.com/path',
      'https://App.example.com',
      'ftp://files.example.com',
      'https://a.example.com,*',
    ]) {
      assert.throws(
        () => loadConfig({ CORS_ORIGINS: bad }),
        (error: unknown) => error instanceof ConfigError && /CORS_ORIGINS/.test(error.message),
        bad,
      );
    }
    assert.deepEqual(loadConfig({ CORS_ORIGINS: ` ${ALLOWED} ,${LOCAL},${ALLOWED}` }).corsOrigins, [
      ALLOWED,
      LOCAL,
    ]);
    assert.deepEqual(loadConfig({}).corsOrigins, []);
  });
});

describe('security headers', () => {
  test('JSON answers: nosniff, no-referrer, a CSP that allows nothing; no-store under /v1', async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const v1 = [
      await gw.http.get('/v1/servers').set(alice),
      await gw.http.get(`/v1/jobs/${job.id}`).set(alice),
      await gw.http.post('/v1/jobs').set(alice).send({ server: 'fixture', tool: 'echo' }),
      await gw.http.get('/v1/jobs/nope').set(alice),
      await gw.http.get('/v1/jobs'),
      await gw.http.get('/v1/nowhere').set(alice),
    ];
    for (const [index, res] of v1.entries()) {
      const what = `response ${index}: ${res.status}`;
      assert.match(String(res.headers['content-type']), /json/, what);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', what);
      assert.equal(res.headers['content-security-policy'], JSON_CSP, what);
      assert.equal(res.headers['cache-control'], 'no-store', what);
    }
    for (const url of ['/healthz', '/readyz', '/openapi.json']) {
      const res = await gw.http.get(url);
      // /readyz is 503 until the pool has connected to the upstream; its headers are the same.
      assert.ok(res.status === 200 || (url === '/readyz' && res.status === 503), url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['content-security-policy'], JSON_CSP, url);
      assert.equal(res.headers['cache-control'], undefined, url);
    }
  });

  test('/docs keeps its own CSP, and event streams their own headers', async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const page = await gw.http.get('/docs');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.notEqual(csp, JSON_CSP);
    assert.match(csp, /script-src/);
    const docsJson = await gw.http.get('/docs/json');
    assert.equal(docsJson.status, 200);
    assert.notEqual(docsJson.headers['content-security-policy'], JSON_CSP);

    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const stream = await openSse(`${gw.url}/v1/jobs/${job.id}/events`, alice);
    await stream.ended;
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream');
    assert.equal(stream.headers['cache-control'], 'no-cache, no-transform');
    assert.equal(stream.headers['content-security-policy'], undefined);
    assert.ok(stream.events.some((e) => e.event === 'done'));
  });
});
