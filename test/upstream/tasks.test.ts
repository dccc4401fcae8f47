/**
 * Task-backed calls on protocol 2025-11-25 upstreams (SDK v1), against real servers:
 * server-everything's `simulate-research-query` and our task fixture, over stdio and
 * Streamable HTTP.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamConfig } from '../../src/config/mcp-servers.js';
import { TASK_POLL_FLOOR_MS } from '../../src/upstream/task-call.js';
import { UnsupportedProtocolError, type Upstream } from '../../src/upstream/upstream.js';
import { startTaskHttpFixture, type TaskHttpFixture } from '../fixtures/task-http-server.js';
import { waitUntil } from '../helpers/wait.js';
import {
  everythingStdioConfig,
  httpUpstream,
  openUpstream,
  recorder,
  startEverythingHttp,
  statusTexts,
  taskFixtureStdio,
  textOf,
  token,
} from './task-helpers.js';

const STAGES = [
  'Gathering sources...',
  'Analyzing content...',
  'Synthesizing findings...',
  'Generating report...',
];

const transports = ['stdio', 'streamable-http'] as const;
type Kind = (typeof transports)[number];

async function everything(t: TestContext, kind: Kind): Promise<Upstream> {
  if (kind === 'stdio') return openUpstream(t, everythingStdioConfig());
  return openUpstream(t, httpUpstream(await startEverythingHttp(t)));
}

/** The task fixture over `kind`, and (HTTP) the fixture itself to inspect. */
async function fixture(
  t: TestContext,
  kind: Kind,
  settings: Pick<UpstreamConfig, 'tasks' | 'isolation'> = {},
): Promise<{ upstream: Upstream; http?: TaskHttpFixture }> {
  if (kind === 'stdio') return { upstream: openUpstream(t, taskFixtureStdio(settings)) };
  const http = await startTaskHttpFixture();
  t.after(() => http.close());
  return { upstream: openUpstream(t, httpUpstream(http.url, settings)), http };
}

/** What the fixture saw (tasks/cancel, tasks/get), asked over the upstream itself. */
async function seenByServer(upstream: Upstream, http?: TaskHttpFixture) {
  if (http) return http.state;
  const result = await upstream.call(
    token('seen'),
    'seen_by_server',
    {},
    new AbortController().signal,
    recorder().handlers,
  );
  return JSON.parse(textOf(result)) as { cancels: string[]; gets: Record<string, number> };
}

for (const kind of transports) {
  test(`server-everything simulate-research-query runs as a task over ${kind}`, async (t) => {
    const upstream = await everything(t, kind);
    const tools = await upstream.tools();
    const research = tools.find((tool) => tool.name === 'simulate-research-query');
    assert.equal(research?.execution?.taskSupport, 'required');
    assert.equal(upstream.status().protocolVersion, '2025-11-25');

    const { seen, handlers } = recorder();
    const result = await upstream.call(
      token(),
      'simulate-research-query',
      { topic: 'tides' },
      new AbortController().signal,
      handlers,
    );
    assert.match(textOf(result), /# Research Report: tides/);
    assert.equal(result.isError, undefined);
    const ids = new Set(seen.tasks.map((u) => u.id));
    assert.equal(ids.size, 1, 'one task');
    assert.equal(seen.tasks[0]!.status, 'working');
    const texts = statusTexts(seen.tasks).filter((m) => m !== null);
    assert.deepEqual(
      texts.filter((m) => STAGES.includes(m!)),
      STAGES,
      `every stage in order: ${JSON.stringify(texts)}`,
    );
    assert.equal(seen.tasks.at(-1)!.status, 'completed');
    assert.equal(upstream.status().activeCalls, 0);
  });

  test(`server-everything's ambiguous research query asks through tasks/result over ${kind}`, async (t) => {
    const upstream = await everything(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder((request) => {
      assert.equal(request.mode, 'form');
      const schema = request.requestedSchema as { properties: Record<string, unknown> };
      assert.ok(schema.properties.interpretation, 'asks for an interpretation');
      return { action: 'accept', content: { interpretation: 'historical' } };
    });
    const result = await upstream.call(
      token(),
      'simulate-research-query',
      { topic: 'tides', ambiguous: true },
      new AbortController().signal,
      handlers,
    );
    assert.equal(seen.inputs.length, 1);
    assert.match(seen.inputs[0]!.message, /multiple interpretations/);
    assert.match(textOf(result), /Clarification\*\*: historical/);
    assert.ok(seen.tasks.some((u) => u.status === 'input_required'));
    assert.equal(seen.tasks.at(-1)!.status, 'completed');
  });

  test(`a fixture task's progress and status texts reach the call over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder();
    const result = await upstream.call(
      token(),
      'task_progress',
      { steps: 4 },
      new AbortController().signal,
      handlers,
    );
    assert.equal(textOf(result), 'progress 4');
    assert.deepEqual(
      seen.progress.map((p) => [p.progress, p.total, p.message]),
      [1, 2, 3, 4].map((i) => [i, 4, `p${i}`]),
    );
    const texts = statusTexts(seen.tasks);
    assert.deepEqual(
      texts.filter((m) => m?.startsWith('step')),
      ['step 1', 'step 2', 'step 3', 'step 4'],
    );
    assert.equal(seen.tasks.at(-1)!.status, 'completed');
  });

  test(`a failed fixture task: isError result kept, or the tasks/result error over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    const failed = recorder();
    const result = await upstream.call(
      token(),
      'task_fail',
      { mode: 'result' },
      new AbortController().signal,
      failed.handlers,
    );
    assert.equal(result.isError, true);
    assert.equal(textOf(result), 'it broke');
    assert.equal(failed.seen.tasks.at(-1)!.status, 'failed');

    const erred = recorder();
    await assert.rejects(
      upstream.call(
        token(),
        'task_fail',
        { mode: 'error' },
        new AbortController().signal,
        erred.handlers,
      ),
      (error: unknown) => error instanceof McpError && /no result/i.test(error.message),
    );
    assert.ok(erred.seen.tasks.some((u) => u.status === 'failed'));
    assert.equal(erred.seen.tasks.at(-1)!.statusMessage, 'it broke badly');
  });

  test(`a task seen only by polling tasks/get, never faster than the floor, over ${kind}`, async (t) => {
    const { upstream, http } = await fixture(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder();
    const result = await upstream.call(
      token(),
      'task_poll_only',
      { phases: 3, phaseMs: 700, pollInterval: 300 },
      new AbortController().signal,
      handlers,
    );
    assert.equal(textOf(result), 'polled 3');
    assert.deepEqual(
      statusTexts(seen.tasks).filter((m) => m?.startsWith('phase')),
      ['phase 1', 'phase 2', 'phase 3'],
    );

    // A server that asks for 10 ms is polled every TASK_POLL_FLOOR_MS at most.
    const fast = recorder();
    const started = Date.now();
    await upstream.call(
      token(),
      'task_poll_only',
      { phases: 4, phaseMs: 300, pollInterval: 10 },
      new AbortController().signal,
      fast.handlers,
    );
    const elapsed = Date.now() - started;
    const taskId = fast.seen.tasks[0]!.id;
    const gets = (await seenByServer(upstream, http)).gets[taskId] ?? 0;
    assert.ok(gets >= 2, `polled (${gets} tasks/get)`);
    assert.ok(
      gets <= Math.ceil(elapsed / TASK_POLL_FLOOR_MS) + 1,
      `${gets} tasks/get in ${elapsed} ms respects the ${TASK_POLL_FLOOR_MS} ms floor`,
    );
  });

  test(`an optional task tool: a task by default, a plain call with tasks: never, over ${kind}`, async (t) => {
    const auto = await fixture(t, kind);
    await auto.upstream.tools();
    const asTask = recorder();
    const result = await auto.upstream.call(
      token(),
      'task_optional',
      {},
      new AbortController().signal,
      asTask.handlers,
    );
    assert.equal(textOf(result), 'optional done');
    assert.ok(asTask.seen.tasks.length > 0, 'followed as a task');

    const never = await fixture(t, kind, { tasks: 'never' });
    await never.upstream.tools();
    const plain = recorder();
    const plainResult = await never.upstream.call(
      token(),
      'task_optional',
      {},
      new AbortController().signal,
      plain.handlers,
    );
    assert.equal(textOf(plainResult), 'optional done');
    assert.deepEqual(plain.seen.tasks, [], 'no task seen by the caller');
    await assert.rejects(
      never.upstream.call(
        token(),
        'task_progress',
        {},
        new AbortController().signal,
        recorder().handlers,
      ),
      (error: unknown) =>
        error instanceof McpError &&
        /runs only as a task/.test(error.message) &&
        /tasks: "never"/.test(error.message),
    );
  });

  test(`abort sends tasks/cancel to a task that ignores it, over ${kind}`, async (t) => {
    const { upstream, http } = await fixture(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder();
    const controller = new AbortController();
    const call = upstream.call(
      token(),
      'task_ignore_cancel',
      { seconds: 3 },
      controller.signal,
      handlers,
    );
    await waitUntil(() => seen.tasks.some((u) => u.statusMessage?.startsWith('tick')), 'a tick');
    const taskId = seen.tasks[0]!.id;
    controller.abort(new Error('cancelled by the test'));
    await assert.rejects(call, (error: unknown) => error instanceof McpError);
    const updates = seen.tasks.length;
    await waitUntil(
      async () => (await seenByServer(upstream, http)).cancels.includes(taskId),
      'tasks/cancel at the server',
    );
    // The task keeps ticking upstream; nothing more reaches the ended call.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(seen.tasks.length, updates);
    assert.equal(upstream.status().activeCalls, 0);
  });
}

test('an upstream that dies mid-task fails the call as a lost connection (stdio)', async (t) => {
  const upstream = openUpstream(t, taskFixtureStdio());
  await upstream.tools();
  const { seen, handlers } = recorder();
  await assert.rejects(
    upstream.call(token(), 'task_crash', {}, new AbortController().signal, handlers),
    (error: unknown) => error instanceof McpError && error.code === ErrorCode.ConnectionClosed,
  );
  assert.equal(seen.tasks[0]?.status, 'working');
});

test('an HTTP upstream that goes away mid-task fails the call as a lost connection', async (t) => {
  const http = await startTaskHttpFixture();
  t.after(() => http.close());
  const upstream = openUpstream(t, httpUpstream(http.url));
  await upstream.tools();
  const { seen, handlers } = recorder();
  const call = upstream.call(
    token(),
    'task_ignore_cancel',
    { seconds: 30 },
    new AbortController().signal,
    handlers,
  );
  await waitUntil(() => seen.tasks.length > 0, 'the task');
  await http.close();
  await assert.rejects(
    call,
    (error: unknown) => error instanceof McpError && error.code === ErrorCode.ConnectionClosed,
  );
});

/** A stdio "server" that refuses 2025-11-25 as a 2026-07-28-only server does. */
const REFUSING_STDIO = `
process.stdin.setEncoding('utf8');
let buffer = '';
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let i;
  while ((i = buffer.indexOf('\\n')) !== -1) {
    const message = JSON.parse(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    if (message.id === undefined) continue;
    process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: {
      code: -32022, message: 'Unsupported protocol version',
      data: { supported: ['2026-07-28'], requested: message.params?.protocolVersion } } }) + '\\n');
  }
});
`;

test('a 2026-07-28-only upstream is told apart: UnsupportedProtocolError (stdio and HTTP)', async (t) => {
  const stdio = openUpstream(t, {
    name: 'future',
    transport: 'stdio',
    command: process.execPath,
    args: ['-e', REFUSING_STDIO],
    env: {},
  });
  await assert.rejects(stdio.tools(), (error: unknown) => {
    assert.ok(error instanceof UnsupportedProtocolError, String(error));
    assert.deepEqual(error.supported, ['2026-07-28']);
    return true;
  });
  assert.match(stdio.status().lastError ?? '', /does not support protocol version 2025-11-25/);

  // Over Streamable HTTP such a server answers 400 with the same JSON-RPC error.
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: {
            code: -32022,
            message: 'Unsupported protocol version',
            data: { supported: ['2026-07-28'] },
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as { port: number };
  const http = openUpstream(t, httpUpstream(`http://127.0.0.1:${port}/mcp`));
  await assert.rejects(http.tools(), (error: unknown) => {
    assert.ok(error instanceof UnsupportedProtocolError, String(error));
    assert.deepEqual(error.supported, ['2026-07-28']);
    return true;
  });
});
