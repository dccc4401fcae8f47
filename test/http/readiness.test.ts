import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parsed } from '../helpers/sse-client.js';
import { fixtureStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

async function readiness(gw: TestGateway): Promise<{ status: number; body: any }> {
  const res = await gw.http.get('/readyz');
  return { status: res.status, body: res.body };
}

async function readyIs(gw: TestGateway, status: 200 | 503, why: string) {
  return waitUntil(async () => {
    const res = await readiness(gw);
    return res.status === status ? res.body : undefined;
  }, why);
}

async function downSwitch(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'mpg-ready-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'down');
}

test('/readyz flips to 503 while the only upstream is down and back to 200 by itself', async (t) => {
  const downFile = await downSwitch(t);
  const gw = await startGateway(t, {
    upstreams: [fixtureStdio('fixture', { FIXTURE_DOWN_FILE: downFile })],
  });
  const up = await readyIs(gw, 200, 'ready once the upstream is connected');
  assert.deepEqual(up, {
    status: 'ready',
    store: 'ok',
    upstreams: [{ name: 'fixture', state: 'connected' }],
  });

  // The upstream dies and cannot start again: every restart attempt fails.
  await writeFile(downFile, '');
  const job = await gw.startJob({ server: 'fixture', tool: 'crash', arguments: { afterMs: 0 } });
  const done = parsed((await gw.collect(job.id)).events).at(-1)!;
  assert.equal(done.data.error.code, 'UPSTREAM_DISCONNECTED');
  const down = await readyIs(gw, 503, 'not ready while the upstream is down');
  assert.equal(down.status, 'not-ready');
  assert.equal(down.store, 'ok');
  await waitUntil(
    async () => (await readiness(gw)).body.upstreams[0].state === 'failed',
    'a restart attempt to fail',
  );
  assert.equal((await gw.http.get('/healthz')).status, 200, 'the process itself is alive');

  // It may start again: the gateway reconnects without being asked (back-off ≤ 5 s).
  await rm(downFile);
  const back = await readyIs(gw, 200, 'ready again once the upstream is back');
  assert.deepEqual(back.upstreams, [{ name: 'fixture', state: 'connected' }]);
  const again = await gw.startJob({ server: 'fixture', tool: 'echo', arguments: { n: 1 } });
  const result = parsed((await gw.collect(again.id)).events).at(-1)!;
  assert.equal(result.data.status, 'succeeded');
});

test('READINESS_UPSTREAMS: any needs one upstream, all needs every one, none needs none', async (t) => {
  const downFile = await downSwitch(t);
  await writeFile(downFile, '');
  const upstreams = [
    fixtureStdio('fixture'),
    fixtureStdio('broken', { FIXTURE_DOWN_FILE: downFile }),
  ];
  const brokenFailed = async (gw: TestGateway) =>
    waitUntil(
      async () =>
        (await readiness(gw)).body.upstreams.find((u: any) => u.name === 'broken').state ===
        'failed',
      'the broken upstream to fail',
    );

  const any = await startGateway(t, { upstreams });
  await readyIs(any, 200, 'any: ready with one of two upstreams connected');
  await brokenFailed(any);
  assert.equal((await readiness(any)).status, 200);

  const all = await startGateway(t, { upstreams, env: { READINESS_UPSTREAMS: 'all' } });
  await brokenFailed(all);
  const notAll = await readiness(all);
  assert.equal(notAll.status, 503);
  assert.equal(notAll.body.status, 'not-ready');

  const onlyBroken = [fixtureStdio('broken', { FIXTURE_DOWN_FILE: downFile })];
  const none = await startGateway(t, {
    upstreams: onlyBroken,
    env: { READINESS_UPSTREAMS: 'none' },
  });
  await brokenFailed(none);
  assert.equal((await readiness(none)).status, 200);
  const anyBroken = await startGateway(t, { upstreams: onlyBroken });
  await brokenFailed(anyBroken);
  assert.equal((await readiness(anyBroken)).status, 503);
});
