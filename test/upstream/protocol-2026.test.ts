/**
 * Upstreams that speak only protocol 2026-07-28 (the v2 server packages, `legacy: "reject"`),
 * reached through `Upstream2026` and through `createUpstream` with `protocol: auto`, over stdio
 * and Streamable HTTP, against our tasks-extension fixture.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import type {
  CallHandlers,
  InputAnswer,
  InputRequest,
  LogMessage,
  ProgressUpdate,
  TaskUpdate,
} from '../../src/upstream/call-handlers.js';
import { AutoUpstream, createUpstream } from '../../src/upstream/negotiate.js';
import type { UpstreamApi, UpstreamSettings } from '../../src/upstream/upstream-api.js';
import { Upstream2026 } from '../../src/upstream/v2026/upstream-2026.js';
import { startTasks2026Http, type Received } from '../fixtures/tasks-2026-server.js';
import { waitUntil } from '../helpers/wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tasks-2026-server.ts', import.meta.url));
const options = {
  connectTimeoutMs: 20_000,
  logger: pino({ level: 'silent' }),
  clientVersion: '0.0.0',
};

interface Target {
  config: UpstreamSettings;
  /** What the fixture received so far. */
  received(): Received[];
}

/** The fixture over `transport`, cleaned up when the test ends. */
async function startFixture(
  t: TestContext,
  transport: 'stdio' | 'streamable-http',
): Promise<Target> {
  if (transport === 'streamable-http') {
    const fixture = await startTasks2026Http();
    t.after(() => fixture.close());
    return {
      config: { name: 't26', transport, url: fixture.url, headers: {} },
      received: () => fixture.state.received(),
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'tasks-2026-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'received.jsonl');
  return {
    config: {
      name: 't26',
      transport,
      command: process.execPath,
      args: ['--import', 'tsx', FIXTURE],
      env: { TASKS_FIXTURE_RECORD: file },
    },
    received: () => {
      try {
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Received);
      } catch {
        return [];
      }
    },
  };
}

function open(t: TestContext, upstream: UpstreamApi): UpstreamApi {
  t.after(() => upstream.close());
  return upstream;
}

/** Handlers that record everything; `answer` decides what input requests get. */
function recorder(answer: (request: InputRequest) => InputAnswer = () => ({ action: 'decline' })) {
  const seen = {
    progress: [] as ProgressUpdate[],
    logs: [] as LogMessage[],
    tasks: [] as TaskUpdate[],
    inputs: [] as InputRequest[],
  };
  const handlers: CallHandlers = {
    onProgress: (update) => seen.progress.push(update),
    onLog: (message) => seen.logs.push(message),
    onTask: (update) => seen.tasks.push(update),
    onInputRequest: async (request) => {
      seen.inputs.push(request);
      return answer(request);
    },
  };
  return { seen, handlers };
}

const textOf = (result: { content: unknown }) =>
  (result.content as Array<{ type: string; text?: string }>).map((c) => c.text).join('');

const never = () => new AbortController().signal;

for (const transport of ['stdio', 'streamable-http'] as const) {
  test(`2026-07-28 over ${transport}: version, tools, tasks, input, progress and logs`, async (t) => {
    const target = await startFixture(t, transport);
    const upstream = open(t, new Upstream2026(target.config, options));

    await t.test('negotiates 2026-07-28 and lists the tools', async () => {
      const names = (await upstream.tools()).map((tool) => tool.name);
      assert.deepEqual(names.sort(), [
        'asks',
        'asks-in-task',
        'fails',
        'ignores-cancel',
        'progress-logs',
        'quick',
        'status-only',
      ]);
      const status = upstream.status() as unknown as {
        protocolVersion: string | null;
        state: string;
      };
      assert.equal(status.state, 'connected');
      assert.equal(status.protocolVersion, '2026-07-28');
    });

    await t.test('a plain tool answers at once', async () => {
      const { seen, handlers } = recorder();
      const result = await upstream.call('q-1', 'quick', {}, never(), handlers);
      assert.equal(textOf(result), 'quick');
      assert.equal((result as Record<string, unknown>).resultType, undefined);
      assert.deepEqual(seen.tasks, []);
    });

    await t.test('status-only: every statusMessage change, then the inline result', async () => {
      const { seen, handlers } = recorder();
      const result = await upstream.call('s-1', 'status-only', {}, never(), handlers);
      assert.equal(textOf(result), 'status-only done');
      const id = seen.tasks[0]!.id;
      assert.deepEqual(seen.tasks, [
        { id, status: 'working', statusMessage: 'starting' },
        { id, status: 'working', statusMessage: 'step 1' },
        { id, status: 'working', statusMessage: 'step 2' },
        { id, status: 'completed', statusMessage: 'step 2' },
      ]);
      assert.deepEqual(seen.progress, [], 'a task that reports only text has no progress');
    });

    await t.test('fails: the task ends failed and the call rejects with its error', async () => {
      const { seen, handlers } = recorder();
      await assert.rejects(upstream.call('f-1', 'fails', {}, never(), handlers), (error) => {
        assert.ok(error instanceof McpError);
        assert.equal(error.code, -32603);
        assert.match(error.message, /the fixture failed on purpose/);
        return true;
      });
      assert.deepEqual(
        seen.tasks.map((u) => [u.status, u.statusMessage]),
        [
          ['working', 'about to fail'],
          ['failed', 'it failed'],
        ],
      );
    });

    await t.test('asks: input_required, the answer is sent back, the result has it', async () => {
      const { seen, handlers } = recorder(() => ({ action: 'accept', content: { name: 'Ada' } }));
      const result = await upstream.call('a-1', 'asks', { tag: 'a1' }, never(), handlers);
      assert.equal(textOf(result), 'hello Ada');
      assert.deepEqual(seen.inputs, [
        {
          mode: 'form',
          message: 'What is your name?',
          requestedSchema: {
            type: 'object',
            properties: { name: { type: 'string' } },
            required: ['name'],
          },
        },
      ]);
      const retry = target
        .received()
        .filter((r) => r.method === 'tools/call' && r.params.name === 'asks')
        .at(-1)!;
      assert.deepEqual(retry.params.inputResponses, {
        name: { action: 'accept', content: { name: 'Ada' } },
      });
      assert.equal(retry.params.requestState, 'asks:a1');
    });

    await t.test('asks: a declined request is sent as declined', async () => {
      const { handlers } = recorder();
      const result = await upstream.call('a-2', 'asks', { tag: 'a2' }, never(), handlers);
      assert.equal(textOf(result), 'no name: decline');
    });

    await t.test('asks-in-task: input_required task, answered with tasks/update', async () => {
      const { seen, handlers } = recorder(() => ({ action: 'accept', content: { color: 'teal' } }));
      const result = await upstream.call(
        'at-1',
        'asks-in-task',
        { prompt: 'Your color?' },
        never(),
        handlers,
      );
      assert.equal(textOf(result), 'color teal');
      assert.equal(seen.inputs.length, 1);
      assert.equal(seen.inputs[0]!.message, 'Your color?');
      assert.deepEqual(
        seen.tasks.map((u) => u.status),
        ['input_required', 'working', 'completed'],
      );
      const update = target.received().find((r) => r.method === 'tasks/update');
      assert.deepEqual(update?.params.inputResponses, {
        color: { action: 'accept', content: { color: 'teal' } },
      });
    });

    await t.test('ignores-cancel: abort sends tasks/cancel and settles at once', async () => {
      const { seen, handlers } = recorder();
      const controller = new AbortController();
      const call = upstream.call(
        'c-1',
        'ignores-cancel',
        { runMs: 3000 },
        controller.signal,
        handlers,
      );
      await waitUntil(() => seen.tasks.length > 0, 'the task to be created');
      const started = Date.now();
      controller.abort('cancelled by the test');
      await assert.rejects(call, (error) => error instanceof McpError && error.code === -32001);
      assert.ok(Date.now() - started < 1000, 'the call settles without waiting for the server');
      const taskId = seen.tasks[0]!.id;
      const cancel = await waitUntil(
        () => target.received().find((r) => r.method === 'tasks/cancel'),
        'the fixture to see tasks/cancel',
      );
      assert.equal(cancel.params.taskId, taskId);
    });

    await t.test('a plain tool: progress and logs from its own stream, in order', async () => {
      const { seen, handlers } = recorder();
      const result = await upstream.call(
        'p-1',
        'progress-logs',
        { tag: 'x', count: 5 },
        never(),
        handlers,
      );
      assert.equal(textOf(result), 'x done');
      assert.deepEqual(
        seen.progress,
        [1, 2, 3, 4, 5].map((i) => ({ progress: i, total: 5, message: `x ${i}` })),
      );
      assert.deepEqual(
        seen.logs,
        [1, 2, 3, 4, 5].map((i) => ({ level: 'info', logger: 'fixture', data: `x log ${i}` })),
      );
    });

    await t.test('two concurrent calls each get their own progress and input', async () => {
      const one = recorder(() => ({ action: 'accept', content: { name: 'one' } }));
      const two = recorder(() => ({ action: 'accept', content: { name: 'two' } }));
      const [p1, p2, a1, a2] = await Promise.all([
        upstream.call('cc-p1', 'progress-logs', { tag: 'one', count: 20 }, never(), one.handlers),
        upstream.call('cc-p2', 'progress-logs', { tag: 'two', count: 20 }, never(), two.handlers),
        upstream.call('cc-a1', 'asks', { tag: 'one', prompt: 'one?' }, never(), one.handlers),
        upstream.call('cc-a2', 'asks', { tag: 'two', prompt: 'two?' }, never(), two.handlers),
      ]);
      assert.deepEqual([p1, p2, a1, a2].map(textOf), [
        'one done',
        'two done',
        'hello one',
        'hello two',
      ]);
      for (const [name, r] of [
        ['one', one],
        ['two', two],
      ] as const) {
        assert.deepEqual(
          r.seen.progress.map((p) => p.message),
          Array.from({ length: 20 }, (_, i) => `${name} ${i + 1}`),
        );
        assert.deepEqual(
          r.seen.inputs.map((i) => i.message),
          [`${name}?`],
        );
        // Logs carry no tie to a request: over HTTP each call's own stream has them; on a shared
        // stdio pipe they are dropped while more than one call is in flight (never misattributed).
        assert.ok(r.seen.logs.every((l) => String(l.data).startsWith(`${name} log`)));
        if (transport === 'streamable-http') assert.equal(r.seen.logs.length, 20);
      }
    });
  });

  test(`protocol auto finds a 2026-only server over ${transport}`, async (t) => {
    const target = await startFixture(t, transport);
    const upstream = open(t, createUpstream({ ...target.config, protocol: 'auto' }, options));
    assert.ok(upstream instanceof AutoUpstream);
    const names = (await upstream.tools()).map((tool) => tool.name);
    assert.ok(names.includes('status-only'));
    assert.equal(upstream.generation, '2026-07-28');
    assert.equal(
      (upstream.status() as unknown as { protocolVersion: string | null }).protocolVersion,
      '2026-07-28',
    );
    const { handlers } = recorder();
    assert.equal(textOf(await upstream.call('auto-1', 'quick', {}, never(), handlers)), 'quick');
  });
}
