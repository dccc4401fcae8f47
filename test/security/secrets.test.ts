/**
 * Upstream secrets (header values, URL query and credentials, env values) and API key secrets
 * never appear in a response or a log line, even when an upstream echoes them back in an error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import request from 'supertest';
import { buildApp } from '../../src/app.js';
import { loadConfig, parseUpstreams, type UpstreamConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { fixtureStdio } from '../helpers/gateway.js';
import { openSse } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';
import { ALICE_SECRET, KEYS_ENV, alice, problem } from './support.js';

const HEADER_SECRET = 'hdr-secret-4f1c9a7e2b';
const BEARER_SECRET = 'bearer-secret-8d2e6b1f';
const QUERY_SECRET = 'query-secret-1a2b3c4d';
const ENV_SECRET = 'env-secret-9e8d7c6b5a';
const SHORT_ENV_SECRET = 'pw42';
const SECRETS = [HEADER_SECRET, BEARER_SECRET, QUERY_SECRET, ENV_SECRET, SHORT_ENV_SECRET];

/** An HTTP "MCP server" that refuses everyone and echoes the URL and headers it got. */
async function echoingServer(t: { after: (fn: () => unknown) => void }): Promise<number> {
  const server = http.createServer((req, res) => {
    res.writeHead(401, { 'content-type': 'text/plain' });
    res.end(`denied ${req.url} auth=${req.headers.authorization} key=${req.headers['x-api-key']}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('no upstream or API key secret reaches a response or a log line', async (t) => {
  const echoPort = await echoingServer(t);
  const deadPort = await closedPort();
  const upstreams: UpstreamConfig[] = [
    {
      name: 'echoing',
      transport: 'streamable-http',
      url: `http://127.0.0.1:${echoPort}/mcp?token=${QUERY_SECRET}&v=1`,
      headers: { Authorization: `Bearer ${BEARER_SECRET}`, 'X-Api-Key': HEADER_SECRET },
    },
    {
      name: 'dead-sse',
      transport: 'sse',
      url: `http://127.0.0.1:${deadPort}/sse?access_token=${QUERY_SECRET}`,
      headers: { Authorization: `Bearer ${BEARER_SECRET}` },
    },
    {
      // A stdio server that prints its secrets to stderr and dies: lastError quotes stderr.
      name: 'blabber',
      transport: 'stdio',
      command: process.execPath,
      args: [
        '-e',
        'console.error(`token ${process.env.API_TOKEN} pw ${process.env.DB_PASSWORD} at https://u:p@h/x?k=${process.env.API_TOKEN}`); process.exit(1)',
      ],
      env: { API_TOKEN: ENV_SECRET, DB_PASSWORD: SHORT_ENV_SECRET },
    },
    fixtureStdio('fixture', { FIXTURE_TOKEN: ENV_SECRET }),
  ];
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
  const config = { ...loadConfig({ ...KEYS_ENV, LOG_LEVEL: 'trace' }), upstreams };
  const app = await buildApp(config, { logger });
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
  const gw = request(url);
  app.gateway.pool.warmUp();

  const responses: string[] = [];
  const record = (res: request.Response) => {
    responses.push(JSON.stringify(res.headers), res.text);
    return res;
  };
  for (const name of ['echoing', 'dead-sse', 'blabber']) {
    const tools = record(await gw.get(`/v1/servers/${name}/tools`).set(alice));
    problem(tools, 503, 'UPSTREAM_UNAVAILABLE', name);
    const job = record(await gw.post('/v1/jobs').set(alice).send({ server: name, tool: 'x' }));
    problem(job, 503, 'UPSTREAM_UNAVAILABLE', name);
  }
  const servers = await waitUntil(async () => {
    const res = record(await gw.get('/v1/servers').set(alice));
    const failed = res.body.servers.filter((s: any) => s.lastError !== null);
    return failed.length === 3 ? res.body.servers : undefined;
  }, 'every broken upstream to report its error');
  const byName = Object.fromEntries(servers.map((s: any) => [s.name, s]));
  // The errors still say what went wrong, with the secrets masked.
  assert.match(byName.echoing.lastError, /denied \/mcp\?token=\[REDACTED\]/);
  assert.match(byName.echoing.lastError, /auth=\[REDACTED\] key=\[REDACTED\]/);
  assert.match(byName.blabber.lastError, /token \[REDACTED\] pw \[REDACTED\]/);
  assert.match(byName.blabber.lastError, /https:\/\/\[REDACTED\]@h\/x\?k=\[REDACTED\]/);
  for (const server of servers) {
    assert.deepEqual(
      Object.keys(server).filter((k) => /url|header|env|command|args/i.test(k)),
      [],
      'no URL, headers, env or command are shown',
    );
  }

  // A call error that quotes an upstream secret (here the tool is made to echo it).
  const job = record(
    await gw
      .post('/v1/jobs')
      .set(alice)
      .send({ server: 'fixture', tool: 'throw', arguments: { message: `oops ${ENV_SECRET}` } }),
  );
  assert.equal(job.status, 202, job.text);
  const failed = await waitUntil(async () => {
    const res = record(await gw.get(`/v1/jobs/${job.body.id}`).set(alice));
    return res.body.status === 'failed' ? res.body : undefined;
  }, 'the job to fail');
  assert.match(failed.error.message, /oops \[REDACTED\]/);
  // Its stream, opened with the token in the URL: the token is never logged.
  const stream = await openSse(`${url}${failed.links.events}`);
  await stream.ended;
  responses.push(stream.raw());
  const token = new URL(failed.links.events, url).searchParams.get('token')!;
  assert.ok(lines.some((l) => l.includes('[REDACTED]') && l.includes('/events')));

  const everything = [...responses, ...lines].join('\n');
  for (const secret of [...SECRETS, ALICE_SECRET]) {
    const at = everything.indexOf(secret);
    assert.equal(at, -1, `${secret} leaked: …${everything.slice(Math.max(0, at - 200), at + 50)}`);
  }
  assert.ok(!lines.join('\n').includes(token), 'a stream token was logged');
  assert.ok(lines.length > 10, `the log was captured (${lines.length} lines)`);
});

test('upstream URLs with credentials are refused without quoting them', () => {
  assert.throws(
    () =>
      parseUpstreams(
        {
          mcpServers: { x: { type: 'http', url: `https://user:${QUERY_SECRET}@mcp.example/mcp` } },
        },
        {},
        'mcp.json',
      ),
    (error: unknown) =>
      error instanceof ConfigError &&
      /mcpServers\.x\.url: must not contain credentials/.test(error.message) &&
      !error.message.includes(QUERY_SECRET),
  );
});

test('a broken mcpServers file is reported by position, not by quoting it', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-secret-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mcp.json');
  writeFileSync(file, `{"mcpServers": {"x": {"headers": {"a": "${HEADER_SECRET}" }}}} trailing`);
  assert.throws(
    () => loadConfig({ GATEWAY_CONFIG: file }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /not valid JSON/.test(error.message) &&
      !error.message.includes(HEADER_SECRET),
  );
});
