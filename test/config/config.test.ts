import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  configPathFromArgs,
  expandEnv,
  loadConfig,
  parseUpstreams,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { ROOT } from '../helpers/gateway.js';

describe('mcpServers file', () => {
  test('reads stdio, streamable HTTP and legacy SSE entries and tolerates other clients’ keys', () => {
    const upstreams = parseUpstreams(
      {
        mcpServers: {
          files: {
            command: 'npx',
            args: ['-y', 'server-files', '/data'],
            env: { TOKEN: 'x' },
            cwd: '/srv',
            autoApprove: ['read'],
            timeout: 60,
          },
          remote: { type: 'http', url: 'https://mcp.example.test/mcp', headers: { a: 'b' } },
          streamy: { type: 'streamable-http', url: 'http://127.0.0.1:1/mcp' },
          legacy: { type: 'sse', url: 'http://127.0.0.1:2/sse' },
          bare: { url: 'http://127.0.0.1:3/mcp' },
          off: { command: 'nothing', disabled: true },
        },
        otherTopLevelKey: true,
      },
      {},
      'test.json',
    );
    assert.deepEqual(
      upstreams.map((u) => [u.name, u.transport]),
      [
        ['files', 'stdio'],
        ['remote', 'streamable-http'],
        ['streamy', 'streamable-http'],
        ['legacy', 'sse'],
        ['bare', 'streamable-http'],
      ],
    );
    assert.deepEqual(upstreams[0], {
      name: 'files',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server-files', '/data'],
      env: { TOKEN: 'x' },
      cwd: '/srv',
    });
    assert.deepEqual(upstreams[1], {
      name: 'remote',
      transport: 'streamable-http',
      url: 'https://mcp.example.test/mcp',
      headers: { a: 'b' },
    });
  });

  test('expands ${VAR} and ${VAR:-default} from the environment', () => {
    const upstreams = parseUpstreams(
      {
        mcpServers: {
          api: {
            type: 'http',
            url: '${BASE:-http://127.0.0.1:9}/mcp',
            headers: { authorization: 'Bearer ${TOKEN}' },
          },
        },
      },
      { TOKEN: 's3cret' },
      'test.json',
    );
    assert.deepEqual(upstreams[0], {
      name: 'api',
      transport: 'streamable-http',
      url: 'http://127.0.0.1:9/mcp',
      headers: { authorization: 'Bearer s3cret' },
    });
    assert.equal(expandEnv('${A}-${B:-b}', { A: 'a' }), 'a-b');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no mcpServers', { servers: {} }, /mcpServers/],
    ['mcpServers not an object', { mcpServers: [] }, /mcpServers/],
    ['entry without command or url', { mcpServers: { x: {} } }, /mcpServers\.x\.command/],
    ['args not strings', { mcpServers: { x: { command: 'a', args: [1] } } }, /mcpServers\.x\.args/],
    ['url not http', { mcpServers: { x: { url: 'ftp://h/x' } } }, /mcpServers\.x\.url/],
    ['bad name', { mcpServers: { 'a b': { command: 'x' } } }, /mcpServers\.a b/],
    ['missing variable', { mcpServers: { x: { command: '${NOPE}' } } }, /NOPE is not set/],
  ];
  for (const [name, document, message] of bad) {
    test(`rejects ${name} with a message naming the place`, () => {
      assert.throws(
        () => parseUpstreams(document, {}, 'conf.json'),
        (error: unknown) =>
          error instanceof ConfigError &&
          /conf\.json/.test(error.message) &&
          message.test(error.message),
      );
    });
  }
});

describe('settings from the environment', () => {
  test('defaults: 127.0.0.1:8080, memory store, demo upstream, auth off', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.store, 'memory');
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.apiKeys, []);
    assert.equal(config.upstreams.length, 1);
    assert.equal(config.upstreams[0]!.name, 'demo');
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.jobs));
  });

  const badSettings: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ STORE: 'postgres' }, 'STORE'],
    [{ REDIS_URL: 'http://x' }, 'REDIS_URL'],
    [{ API_KEYS: 'nocolon' }, 'API_KEYS'],
    [{ API_KEYS: 'a:short' }, 'API_KEYS'],
    [{ MAX_EVENTS_PER_JOB: '1' }, 'MAX_EVENTS_PER_JOB'],
    [{ JOB_DEFAULT_TIMEOUT_MS: '100', JOB_MAX_TIMEOUT_MS: '10' }, 'JOB_DEFAULT_TIMEOUT_MS'],
    [{ GATEWAY_CONFIG: '/nonexistent/mcp.json' }, 'GATEWAY_CONFIG'],
  ];
  for (const [env, setting] of badSettings) {
    test(`a bad ${setting} is refused with its name`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && error.message.includes(setting),
      );
    });
  }

  test('API_KEYS parses name:secret pairs', () => {
    const config = loadConfig({ API_KEYS: 'alice:0123456789abcdef, bob:fedcba9876543210' });
    assert.deepEqual(config.apiKeys, [
      { name: 'alice', secret: '0123456789abcdef' },
      { name: 'bob', secret: 'fedcba9876543210' },
    ]);
  });

  test('--config PATH wins over GATEWAY_CONFIG', (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-config-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'mcp.json');
    writeFileSync(file, JSON.stringify({ mcpServers: { one: { command: 'x' } } }));
    assert.equal(configPathFromArgs(['--config', file]), file);
    assert.equal(configPathFromArgs([`--config=${file}`]), file);
    const config = loadConfig({ GATEWAY_CONFIG: '/nonexistent' }, ['--config', file]);
    assert.deepEqual(
      config.upstreams.map((u) => u.name),
      ['one'],
    );
    writeFileSync(file, '{ not json');
    assert.throws(() => loadConfig({}, ['--config', file]), /not valid JSON/);
  });
});

test('the process exits non-zero with a message naming a bad setting', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: 'not-a-port', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /configuration error: PORT/);
});
