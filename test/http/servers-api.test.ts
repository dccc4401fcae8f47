import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { UpstreamConfig } from '../../src/config/index.js';
import { fixtureStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { LEAK, problem } from '../helpers/problem.js';
import { waitUntil } from '../helpers/wait.js';

const FIXTURE_TOOLS = [
  'burst',
  'crash',
  'echo',
  'honour_cancel',
  'hostile',
  'ignore_cancel',
  'image',
  'log',
  'ping_pid',
  'silent',
  'slow',
  'strict_args',
  'throw',
  'tool_error',
];

/** A loopback port nothing listens on: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

async function refusingUpstream(): Promise<UpstreamConfig> {
  const url = `http://127.0.0.1:${await closedPort()}/mcp`;
  return { name: 'down', transport: 'streamable-http', url, headers: {} };
}

async function servers(gw: TestGateway): Promise<Record<string, any>> {
  const res = await gw.http.get('/v1/servers');
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(Object.keys(res.body), ['servers']);
  assert.ok(Array.isArray(res.body.servers));
  return Object.fromEntries(res.body.servers.map((s: any) => [s.name, s]));
}

test('GET /v1/servers lists every upstream with name, transport, state and lastError', async (t) => {
  const gw = await startGateway(t, { upstreams: [fixtureStdio(), await refusingUpstream()] });
  const before = await servers(gw);
  assert.deepEqual(Object.keys(before).sort(), ['down', 'fixture']);
  for (const server of Object.values(before)) {
    for (const key of ['name', 'transport', 'state', 'lastError']) {
      assert.ok(key in server, `${server.name} has ${key}`);
    }
  }
  assert.equal(before.fixture.transport, 'stdio');
  assert.equal(before.down.transport, 'streamable-http');
  assert.equal(before.fixture.lastError, null);
  // The gateway connects to every upstream as soon as it listens; listing waits for none.
  assert.ok(['idle', 'connecting', 'connected'].includes(before.fixture.state));
  await waitUntil(async () => (await servers(gw)).down.state === 'failed', 'down to be failed');
  assert.doesNotMatch(JSON.stringify(before), /127\.0\.0\.1|\/mcp|tsx|stdio-server/);

  assert.equal((await gw.http.get('/v1/servers/fixture/tools')).status, 200);
  const after = await servers(gw);
  assert.equal(after.fixture.state, 'connected');
  assert.equal(after.fixture.lastError, null);
});

test('GET /v1/servers/fixture/tools lists name, description and inputSchema of each tool', async (t) => {
  const gw = await startGateway(t);
  const res = await gw.http.get('/v1/servers/fixture/tools');
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(Object.keys(res.body), ['tools']);
  const tools: any[] = res.body.tools;
  const names = tools.map((tool) => tool.name);
  assert.equal(new Set(names).size, names.length, 'no duplicates');
  for (const name of FIXTURE_TOOLS) assert.ok(names.includes(name), `lists ${name}`);
  for (const tool of tools) {
    assert.equal(typeof tool.name, 'string');
    assert.ok(typeof tool.description === 'string' && tool.description.length > 0, tool.name);
    assert.equal(typeof tool.inputSchema, 'object');
    assert.equal(tool.inputSchema.type, 'object', tool.name);
    assert.ok('title' in tool && 'annotations' in tool, tool.name);
  }
  const slow = tools.find((tool) => tool.name === 'slow');
  assert.equal(slow.title, 'Slow');
  assert.deepEqual(Object.keys(slow.inputSchema.properties).sort(), [
    'intervalMs',
    'steps',
    'withTotal',
  ]);
  const strict = tools.find((tool) => tool.name === 'strict_args');
  assert.deepEqual([...strict.inputSchema.required].sort(), ['count', 'name']);
});

test('an unknown server is 404 UNKNOWN_SERVER', async (t) => {
  const gw = await startGateway(t);
  for (const name of ['nope', encodeURIComponent('../fixture'), 'x'.repeat(1000), 'FIXTURE']) {
    problem(await gw.http.get(`/v1/servers/${name}/tools`), 404, 'UNKNOWN_SERVER');
  }
  problem(await gw.http.get('/v1/servers/nope'), 404, 'ROUTE_NOT_FOUND');
  problem(
    await gw.http.post('/v1/jobs').send({ server: 'nope', tool: 'echo' }),
    404,
    'UNKNOWN_SERVER',
    /'nope'/,
  );
});

test('an upstream that refuses connections is 503 and does not affect the others', async (t) => {
  const gw = await startGateway(t, { upstreams: [fixtureStdio(), await refusingUpstream()] });
  // Twice: the first attempt connects and fails, the second is answered from the back-off.
  for (let i = 0; i < 2; i++) {
    const res = await gw.http.get('/v1/servers/down/tools');
    problem(res, 503, 'UPSTREAM_UNAVAILABLE', /'down'/);
    assert.match(String(res.headers['retry-after']), /^[1-9][0-9]*$/);
  }
  const post = await gw.http.post('/v1/jobs').send({ server: 'down', tool: 'anything' });
  problem(post, 503, 'UPSTREAM_UNAVAILABLE', /'down'/);
  assert.match(String(post.headers['retry-after']), /^[1-9][0-9]*$/);

  const down = (await servers(gw)).down;
  assert.equal(down.state, 'failed');
  assert.ok(typeof down.lastError === 'string' && down.lastError.length > 0, 'lastError');
  assert.doesNotMatch(down.lastError, LEAK);
  assert.deepEqual((await gw.http.get('/v1/jobs')).body, { jobs: [], next: null });

  const job = await gw.startJob({ server: 'fixture', tool: 'echo', arguments: { ok: true } });
  const done = await waitUntil(async () => {
    const res = await gw.http.get(`/v1/jobs/${job.id}`);
    return res.body.status === 'succeeded' ? res.body : undefined;
  }, 'the fixture job to succeed');
  assert.deepEqual(done.result.structuredContent, { args: { ok: true } });
  const tools = await gw.http.get('/v1/servers/fixture/tools');
  assert.equal(tools.status, 200);

  const ready = await gw.http.get('/readyz');
  assert.equal(ready.status, 200, ready.text);
  assert.equal(ready.body.status, 'ready');
  const states = Object.fromEntries(ready.body.upstreams.map((u: any) => [u.name, u.state]));
  assert.deepEqual(states, { fixture: 'connected', down: 'failed' });
});

test('/healthz and /readyz answer 200', async (t) => {
  const gw = await startGateway(t);
  const health = await gw.http.get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  // Ready once the gateway has connected to its upstream (it starts to as soon as it listens).
  const ready = await waitUntil(async () => {
    const res = await gw.http.get('/readyz');
    return res.status === 200 ? res : undefined;
  }, 'the gateway to be ready');
  assert.equal(ready.body.status, 'ready');
  assert.equal(ready.body.store, 'ok');
  assert.deepEqual(
    ready.body.upstreams.map((u: any) => u.name),
    ['fixture'],
  );
});
