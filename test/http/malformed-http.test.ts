/**
 * Requests Node's HTTP parser refuses are answered with a problem document (not Fastify's plain
 * JSON), then the connection is closed; nothing follows a response that was already sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw-http.js';

test('malformed HTTP gets a problem document and a closed connection', async (t) => {
  const gw = await startGateway(t);
  const port = Number(new URL(gw.url).port);
  const cases: Array<[string, string, number, string]> = [
    [
      'a DEL in a header',
      'GET /v1/servers HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\x7fb\r\n\r\n',
      400,
      'INVALID_REQUEST',
    ],
    ['a garbled request line', 'GET /v1 /servers HTTP/9\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['not HTTP at all', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400, 'INVALID_REQUEST'],
    [
      'too large headers',
      `GET /v1/servers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ];
  for (const [what, request, status, code] of cases) {
    const answer = await rawExchange(port, Buffer.from(request, 'latin1'));
    const [head, body] = answer.split('\r\n\r\n');
    assert.match(head!, new RegExp(`^HTTP/1.1 ${status} `), what);
    assert.match(head!, /\r\nContent-Type: application\/problem\+json\r\n/i, what);
    assert.match(head!, /\r\nConnection: close(\r\n|$)/i, what);
    const problem = JSON.parse(body!);
    assert.equal(problem.status, status, what);
    assert.equal(problem.code, code, what);
  }
  // A HEAD whose headers are too large gets the status without a body.
  const head = await rawExchange(
    port,
    `HEAD /v1/servers HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  assert.match(head, /^HTTP\/1.1 431 /);
  assert.ok(head.endsWith('\r\n\r\n'), 'no body after the head');
  // An answer sent before the body was read is the only answer on the wire.
  const early = await rawExchange(
    port,
    'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot-chunked',
  );
  assert.equal(early.match(/HTTP\/1.1 /g)?.length, 1, early);
  assert.equal((await gw.http.get('/healthz')).status, 200);
});
