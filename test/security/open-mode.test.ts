/**
 * The open-mode guard: without API keys the gateway warns at start-up, and refuses a
 * non-loopback HOST (exit 2, naming HOST and API_KEYS) unless ALLOW_UNAUTHENTICATED=true.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { isLoopbackHost } from '../../src/access/open-mode.js';
import { ROOT } from '../helpers/gateway.js';

/** Settings a developer's shell may have exported must not change what is tested. */
const CLEAN = { API_KEYS: '', API_KEYS_FILE: '', ALLOW_UNAUTHENTICATED: '', GATEWAY_CONFIG: '' };

function spawnMain(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...CLEAN, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('open-mode guard', () => {
  test('loopback addresses', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      assert.equal(isLoopbackHost(host), true, host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', 'example.com', '128.0.0.1']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  test('loadConfig refuses a non-loopback HOST without keys, unless told to run open', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      assert.throws(
        () => loadConfig({ HOST: host }),
        (error: unknown) =>
          error instanceof ConfigError &&
          /^HOST: /.test(error.message) &&
          /API_KEYS/.test(error.message) &&
          /ALLOW_UNAUTHENTICATED=true/.test(error.message),
        host,
      );
    }
    assert.equal(loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' }).host, '0.0.0.0');
    assert.equal(
      loadConfig({ HOST: '0.0.0.0', API_KEYS: 'me:0123456789abcdef' }).apiKeys.length,
      1,
    );
    assert.equal(loadConfig({ HOST: 'localhost' }).allowUnauthenticated, false);
    assert.throws(
      () => loadConfig({ ALLOW_UNAUTHENTICATED: 'yes' }),
      (error: unknown) =>
        error instanceof ConfigError && /ALLOW_UNAUTHENTICATED/.test(error.message),
    );
  });

  test('the process exits 2 on HOST=0.0.0.0 without keys, naming HOST and API_KEYS', async () => {
    const child = spawnMain({ HOST: '0.0.0.0' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /configuration error: HOST: 0\.0\.0\.0 is not a loopback address/);
    assert.match(stderr, /API_KEYS/);
    assert.match(stderr, /ALLOW_UNAUTHENTICATED=true/);
  });

  test('with ALLOW_UNAUTHENTICATED=true it starts, warns loudly, serves, and stops on SIGTERM', async (t) => {
    const child = spawnMain({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.resume();
    const logs: any[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line);
        logs.push(entry);
        const match = /listening on http:\/\/\S+:(\d+)$/.exec(entry.msg ?? '');
        if (match) resolve(Number(match[1]));
      });
    });
    const warning = logs.find((l) => l.level === 40 && l.auth === 'off');
    assert.ok(warning, `a warn line about open mode: ${JSON.stringify(logs)}`);
    assert.match(warning.msg, /AUTHENTICATION IS OFF on 0\.0\.0\.0/);
    assert.equal(warning.allowUnauthenticated, true);
    // Only ever via loopback, whatever the gateway listens on.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const servers = await fetch(`http://127.0.0.1:${port}/v1/servers`);
    assert.equal(servers.status, 200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  });

  test('on loopback without keys it starts with a warning too', async (t) => {
    const child = spawnMain({ HOST: '127.0.0.1' });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.resume();
    const warning = await new Promise<any>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line);
        if (entry.level === 40 && entry.auth === 'off') resolve(entry);
      });
    });
    assert.match(warning.msg, /Authentication is off/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    assert.equal((await exited)[0], 0);
  });
});
