import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoUpstream } from '../../src/config/index.js';
import { startHttpFixture } from '../fixtures/http-server.js';
import { everythingStdio, startGateway, type TestGateway } from '../helpers/gateway.js';
import { parsed } from '../helpers/sse-client.js';

type Parsed = ReturnType<typeof parsed>;

/** Runs a job to its end; returns the events after the opening snapshot. */
async function run(gw: TestGateway, body: Record<string, unknown>): Promise<Parsed> {
  const job = await gw.startJob(body);
  assert.equal(job.status, 'queued');
  const stream = await gw.collect(job.id);
  assert.equal(stream.status, 200);
  const events = parsed(stream.events);
  assert.equal(events[0]?.event, 'status');
  assert.equal(events[0]?.id, undefined);
  assert.equal(events.at(-1)?.event, 'done', 'the stream ends with done');
  assert.equal(events.filter((e) => e.event === 'done').length, 1);
  const view = await gw.http.get(`/v1/jobs/${job.id}`).expect(200);
  assert.deepEqual(view.body, events.at(-1)!.data, 'GET agrees with done');
  return events.slice(1);
}

const ofType = (events: Parsed, type: string) =>
  events.filter((e) => e.event === type).map((e) => e.data);

async function toolNames(gw: TestGateway, server: string): Promise<string[]> {
  const res = await gw.http.get(`/v1/servers/${server}/tools`).expect(200);
  for (const tool of res.body.tools) {
    assert.equal(typeof tool.name, 'string');
    assert.equal(tool.inputSchema.type, 'object');
  }
  return res.body.tools.map((tool: { name: string }) => tool.name);
}

for (const transport of ['streamable-http', 'sse'] as const) {
  test(`the whole flow against the fixture over ${transport}`, async (t) => {
    const fixture = await startHttpFixture();
    t.after(() => fixture.close());
    const url = transport === 'sse' ? fixture.sseUrl : fixture.url;
    const gw = await startGateway(t, { upstreams: [{ name: 'web', transport, url, headers: {} }] });
    assert.ok((await toolNames(gw, 'web')).includes('slow'));

    const slow = await run(gw, {
      server: 'web',
      tool: 'slow',
      arguments: { steps: 3, intervalMs: 20 },
    });
    assert.deepEqual(
      slow.map((e) => e.event),
      ['status', 'progress', 'progress', 'progress', 'done'],
    );
    assert.deepEqual(ofType(slow, 'progress'), [
      { progress: 1, total: 3, message: 'step 1', percent: 33.33 },
      { progress: 2, total: 3, message: 'step 2', percent: 66.67 },
      { progress: 3, total: 3, message: 'step 3', percent: 100 },
    ]);
    const done = slow.at(-1)!.data;
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(done.result.content, [{ type: 'text', text: 'slow 3' }]);
    assert.equal(done.error, null);

    // #2580 over HTTP too: the notifications that race the result all arrive.
    for (let i = 0; i < 3; i++) {
      const burst = await run(gw, { server: 'web', tool: 'burst', arguments: { count: 7 } });
      assert.deepEqual(
        ofType(burst, 'progress').map((p) => p.progress),
        [1, 2, 3, 4, 5, 6, 7],
      );
      assert.equal(burst.at(-1)!.data.status, 'succeeded');
    }

    const logged = await run(gw, { server: 'web', tool: 'log', arguments: { count: 2 } });
    assert.deepEqual(ofType(logged, 'log'), [
      { level: 'info', logger: 'fixture', data: { i: 1 } },
      { level: 'warning', logger: 'fixture', data: { i: 2 } },
    ]);

    const failed = await run(gw, { server: 'web', tool: 'tool_error', arguments: { text: 'no' } });
    assert.equal(failed.at(-1)!.data.status, 'failed');
    assert.equal(failed.at(-1)!.data.error.code, 'TOOL_ERROR');
    assert.deepEqual(failed.at(-1)!.data.result.content, [{ type: 'text', text: 'no' }]);

    const { body } = await gw.http.get('/v1/servers').expect(200);
    assert.equal(body.servers[0].transport, transport);
    assert.equal(body.servers[0].state, 'connected');
    assert.equal(body.servers[0].reconnects, 0);
    assert.equal(fixture.sessions(), 1, 'one upstream session serves every job');
  });
}

test('the bundled demo server: countdown reports progress with a total', async (t) => {
  const gw = await startGateway(t, { upstreams: [demoUpstream()] });
  assert.ok((await toolNames(gw, 'demo')).includes('countdown'));
  const events = await run(gw, {
    server: 'demo',
    tool: 'countdown',
    arguments: { seconds: 2, intervalMs: 20 },
  });
  const progress = ofType(events, 'progress');
  assert.deepEqual(
    progress.map((p) => [p.progress, p.total, p.percent]),
    [
      [1, 2, 50],
      [2, 2, 100],
    ],
  );
  for (const p of progress) assert.equal(typeof p.message, 'string');
  assert.equal(progress.at(-1)!.message, 'liftoff');
  // The job had the upstream to itself, so the per-step logs are shown.
  assert.deepEqual(
    ofType(events, 'log').map((l) => [l.level, l.logger]),
    [
      ['info', 'countdown'],
      ['info', 'countdown'],
    ],
  );
  const done = events.at(-1)!.data;
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(done.result.content, [{ type: 'text', text: 'Countdown from 2 finished' }]);
  assert.deepEqual(done.progress, progress.at(-1));
});

test('a third-party server (server-everything) over stdio', async (t) => {
  const gw = await startGateway(t, { upstreams: [everythingStdio()] });
  const names = await toolNames(gw, 'everything');
  assert.ok(names.includes('echo'), `echo in ${names.join(', ')}`);
  assert.ok(names.includes('trigger-long-running-operation'));

  const echo = await run(gw, {
    server: 'everything',
    tool: 'echo',
    arguments: { message: 'hello gateway' },
  });
  assert.equal(echo.at(-1)!.data.status, 'succeeded');
  assert.deepEqual(echo.at(-1)!.data.result.content, [
    { type: 'text', text: 'Echo: hello gateway' },
  ]);

  const long = await run(gw, {
    server: 'everything',
    tool: 'trigger-long-running-operation',
    arguments: { duration: 0.2, steps: 4 },
  });
  assert.deepEqual(
    ofType(long, 'progress').map((p) => [p.progress, p.total, p.percent]),
    [
      [1, 4, 25],
      [2, 4, 50],
      [3, 4, 75],
      [4, 4, 100],
    ],
  );
  const done = long.at(-1)!.data;
  assert.equal(done.status, 'succeeded');
  assert.match(done.result.content[0].text, /Long running operation completed/);

  // Arguments that break the tool's inputSchema never reach it (test/jobs/arguments.test.ts).
  const invalid = await gw.http
    .post('/v1/jobs')
    .send({ server: 'everything', tool: 'echo', arguments: {} });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.code, 'INVALID_ARGUMENTS');
});
