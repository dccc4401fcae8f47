/**
 * API_KEYS_FILE: per-key allow-lists of upstreams and tools. What a key may not use looks
 * exactly like what does not exist, and is never contacted on its behalf. Also the keys file's
 * validation: every mistake is a ConfigError naming API_KEYS_FILE, never quoting a secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { loadConfig, type UpstreamConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { fixtureStdio, startGateway } from '../helpers/gateway.js';
import { ALICE_SECRET, alice, problem } from './support.js';

const CI_SECRET = 'ci-secret-from-the-environment';
const WEB_SECRET = 'web-secret-in-the-file-0123';
const NONE_SECRET = 'none-secret-in-the-file-0123';
const ci = { authorization: `Bearer ${CI_SECRET}` };
const web = { authorization: `Bearer ${WEB_SECRET}` };
const none = { authorization: `Bearer ${NONE_SECRET}` };

function tempFile(t: TestContext, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.json');
  writeFileSync(file, content);
  return file;
}

/** An HTTP upstream on a port where nothing listens. */
async function deadUpstream(): Promise<UpstreamConfig> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return {
    name: 'down',
    transport: 'streamable-http',
    url: `http://127.0.0.1:${port}/mcp`,
    headers: {},
  };
}

const KEYS = {
  keys: [
    {
      name: 'ci',
      secretEnv: 'CI_KEY',
      servers: ['fixture', 'ghost'],
      tools: { fixture: ['echo', 'silent'] },
    },
    { name: 'web', secret: WEB_SECRET, servers: ['other', 'down'] },
    { name: 'none', secret: NONE_SECRET, servers: [] },
  ],
};

describe('per-key allow-lists', () => {
  test('servers and tools outside a key’s lists are 404 exactly like missing ones', async (t) => {
    const file = tempFile(t, JSON.stringify(KEYS));
    const gw = await startGateway(t, {
      upstreams: [fixtureStdio('fixture'), fixtureStdio('other'), await deadUpstream()],
      env: { API_KEYS: `alice:${ALICE_SECRET}`, API_KEYS_FILE: file, CI_KEY: CI_SECRET },
    });
    const names = async (headers: Record<string, string>) => {
      const res = await gw.http.get('/v1/servers').set(headers);
      assert.equal(res.status, 200, res.text);
      return res.body.servers.map((s: { name: string }) => s.name);
    };
    assert.deepEqual(await names(alice), ['fixture', 'other', 'down']);
    assert.deepEqual(await names(ci), ['fixture']);
    assert.deepEqual(await names(web), ['other', 'down']);
    assert.deepEqual(await names(none), []);

    // Tools: filtered for ci on fixture, all of them for web on other.
    const tools = async (headers: Record<string, string>, server: string) =>
      (await gw.http.get(`/v1/servers/${server}/tools`).set(headers)).body.tools.map(
        (tool: { name: string }) => tool.name,
      );
    assert.deepEqual((await tools(ci, 'fixture')).sort(), ['echo', 'silent']);
    assert.ok((await tools(web, 'other')).includes('strict_args'));
    assert.ok((await tools(alice, 'fixture')).includes('strict_args'));

    // A server the key may not use: the same 404 as a server that does not exist, even when it
    // is down (it is not contacted: no 503 that would reveal it).
    for (const [headers, server] of [
      [ci, 'other'],
      [ci, 'down'],
      [none, 'fixture'],
      [web, 'fixture'],
    ] as const) {
      const refused = problem(
        await gw.http.get(`/v1/servers/${server}/tools`).set(headers),
        404,
        'UNKNOWN_SERVER',
      );
      const missing = problem(
        await gw.http.get('/v1/servers/nowhere/tools').set(headers),
        404,
        'UNKNOWN_SERVER',
      );
      assert.equal(refused.detail.replace(server, 'X'), missing.detail.replace('nowhere', 'X'));
      const job = await gw.http
        .post('/v1/jobs')
        .set(headers)
        .send({ server, tool: 'echo', arguments: {} });
      problem(job, 404, 'UNKNOWN_SERVER', `${server} for ${headers.authorization}`);
    }
    // `ghost` is in ci's list but is no upstream: still UNKNOWN_SERVER.
    problem(
      await gw.http.post('/v1/jobs').set(ci).send({ server: 'ghost', tool: 'echo' }),
      404,
      'UNKNOWN_SERVER',
    );

    // A tool outside the list: UNKNOWN_TOOL like a missing one, before its arguments are checked.
    const refusedTool = problem(
      await gw.http
        .post('/v1/jobs')
        .set(ci)
        .send({ server: 'fixture', tool: 'strict_args', arguments: { bad: true } }),
      404,
      'UNKNOWN_TOOL',
    );
    const missingTool = problem(
      await gw.http.post('/v1/jobs').set(ci).send({ server: 'fixture', tool: 'nope' }),
      404,
      'UNKNOWN_TOOL',
    );
    assert.equal(
      refusedTool.detail.replace('strict_args', 'X'),
      missingTool.detail.replace('nope', 'X'),
    );

    // What is allowed works, for every key as its lists say.
    const ok = await gw.http.post('/v1/jobs').set(ci).send({ server: 'fixture', tool: 'echo' });
    assert.equal(ok.status, 202, ok.text);
    const webJob = await gw.http
      .post('/v1/jobs')
      .set(web)
      .send({ server: 'other', tool: 'strict_args', arguments: { name: 'x', count: 1 } });
    assert.equal(webJob.status, 202, webJob.text);
    const aliceJob = await gw.http
      .post('/v1/jobs')
      .set(alice)
      .send({ server: 'fixture', tool: 'strict_args', arguments: { name: 'x', count: 1 } });
    assert.equal(aliceJob.status, 202, aliceJob.text);
  });
});

describe('API_KEYS_FILE validation', () => {
  const secret = 'a-secret-that-must-not-be-quoted';
  const cases: Array<[string, string, Record<string, string>?]> = [
    ['not JSON', `{"keys": [{"name": "a", "secret": "${secret}" oops}]}`],
    ['no keys', '{"keys": []}'],
    ['an unknown member', JSON.stringify({ keys: [{ name: 'a', secret, server: ['x'] }] })],
    ['an unknown top-level member', JSON.stringify({ keys: [{ name: 'a', secret }], extra: 1 })],
    ['neither secret nor secretEnv', JSON.stringify({ keys: [{ name: 'a' }] })],
    [
      'both secret and secretEnv',
      JSON.stringify({ keys: [{ name: 'a', secret, secretEnv: 'X' }] }),
    ],
    ['a short secret', JSON.stringify({ keys: [{ name: 'a', secret: 'short' }] })],
    ['an unset secretEnv', JSON.stringify({ keys: [{ name: 'a', secretEnv: 'UNSET_KEY_VAR' }] })],
    [
      'a short secretEnv value',
      JSON.stringify({ keys: [{ name: 'a', secretEnv: 'SHORT_KEY' }] }),
      { SHORT_KEY: 'tiny' },
    ],
    ['a bad name', JSON.stringify({ keys: [{ name: 'a b', secret }] })],
    ['a bad server name', JSON.stringify({ keys: [{ name: 'a', secret, servers: ['-x'] }] })],
    [
      'tools outside servers',
      JSON.stringify({ keys: [{ name: 'a', secret, servers: ['x'], tools: { y: ['t'] } }] }),
    ],
    ['tools not a list', JSON.stringify({ keys: [{ name: 'a', secret, tools: { x: 't' } }] })],
    ['a name used twice', JSON.stringify({ keys: [{ name: 'alice', secret }] })],
    ['a secret used twice', JSON.stringify({ keys: [{ name: 'x', secret: ALICE_SECRET }] })],
  ];
  for (const [what, content, extraEnv] of cases) {
    test(`${what} is a ConfigError naming the setting, quoting no secret`, (t) => {
      const file = tempFile(t, content);
      assert.throws(
        () => loadConfig({ API_KEYS: `alice:${ALICE_SECRET}`, API_KEYS_FILE: file, ...extraEnv }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /API_KEYS/);
          assert.ok(!error.message.includes(secret), error.message);
          assert.ok(!error.message.includes(ALICE_SECRET), error.message);
          return true;
        },
      );
    });
  }

  test('a missing file names API_KEYS_FILE', () => {
    assert.throws(
      () => loadConfig({ API_KEYS_FILE: '/nonexistent/keys.json' }),
      (error: unknown) => error instanceof ConfigError && /API_KEYS_FILE/.test(error.message),
    );
  });

  test('a good file adds keys with their lists; secretEnv reads the environment', (t) => {
    const file = tempFile(t, JSON.stringify(KEYS));
    const config = loadConfig({
      API_KEYS: `alice:${ALICE_SECRET}`,
      API_KEYS_FILE: file,
      CI_KEY: CI_SECRET,
    });
    assert.deepEqual(config.apiKeys, [
      { name: 'alice', secret: ALICE_SECRET },
      {
        name: 'ci',
        secret: CI_SECRET,
        servers: ['fixture', 'ghost'],
        tools: { fixture: ['echo', 'silent'] },
      },
      { name: 'web', secret: WEB_SECRET, servers: ['other', 'down'] },
      { name: 'none', secret: NONE_SECRET, servers: [] },
    ]);
    // The keys file alone is enough to turn authentication on (and to listen on 0.0.0.0).
    const alone = loadConfig({ API_KEYS_FILE: file, CI_KEY: CI_SECRET, HOST: '0.0.0.0' });
    assert.equal(alone.apiKeys.length, 3);
  });
});
