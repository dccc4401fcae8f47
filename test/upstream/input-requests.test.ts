/**
 * Input requests (elicitation), logs and refused sampling/roots on protocol 2025-11-25 upstreams:
 * each reaches the call the protocol ties it to (related task, the call's own response stream,
 * or the only call on the session), never a guess.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { UpstreamConfig } from '../../src/config/mcp-servers.js';
import type { InputRequest } from '../../src/upstream/call-handlers.js';
import type { Upstream } from '../../src/upstream/upstream.js';
import { startTaskHttpFixture, type TaskHttpFixture } from '../fixtures/task-http-server.js';
import { waitUntil } from '../helpers/wait.js';
import {
  everythingStdioConfig,
  httpUpstream,
  openUpstream,
  recorder,
  startEverythingHttp,
  taskFixtureStdio,
  textOf,
  token,
} from './task-helpers.js';

const transports = ['stdio', 'streamable-http'] as const;
type Kind = (typeof transports)[number];

async function fixture(
  t: TestContext,
  kind: Kind,
  settings: Pick<UpstreamConfig, 'isolation'> = {},
): Promise<{ upstream: Upstream; http?: TaskHttpFixture }> {
  if (kind === 'stdio') return { upstream: openUpstream(t, taskFixtureStdio(settings)) };
  const http = await startTaskHttpFixture();
  t.after(() => http.close());
  return { upstream: openUpstream(t, httpUpstream(http.url, settings)), http };
}

/** Answers `question for <label>` with `answer-<label>`. */
const answerByLabel = (request: InputRequest) => ({
  action: 'accept' as const,
  content: { answer: `answer-${request.message.replace('question for ', '')}` },
});

/** Runs `tool` for labels a and b at once, each with its own recorder. */
async function twoAtOnce(upstream: Upstream, tool: string) {
  const calls = ['a', 'b'].map((label) => {
    const rec = recorder(answerByLabel);
    const result = upstream.call(
      token(label),
      tool,
      { label },
      new AbortController().signal,
      rec.handlers,
    );
    return { label, rec, result };
  });
  return Promise.all(calls.map(async (c) => ({ ...c, text: textOf(await c.result) })));
}

function assertOwnInputsAndLogs(runs: Awaited<ReturnType<typeof twoAtOnce>>): void {
  for (const { label, rec, text } of runs) {
    assert.deepEqual(
      rec.seen.inputs.map((i) => i.message),
      [`question for ${label}`],
      `call ${label} saw only its own question`,
    );
    assert.deepEqual(
      rec.seen.logs.map((l) => l.data),
      [`asking ${label}`],
      `call ${label} saw only its own log`,
    );
    assert.equal(text, `${label}: accept {"answer":"answer-${label}"}`);
  }
}

for (const kind of transports) {
  test(`server-everything's elicitation tools reach the call over ${kind}`, async (t) => {
    const upstream =
      kind === 'stdio'
        ? openUpstream(t, everythingStdioConfig())
        : openUpstream(t, httpUpstream(await startEverythingHttp(t)));
    const names = (await upstream.tools()).map((tool) => tool.name);
    assert.ok(names.includes('trigger-elicitation-request'), names.join(', '));
    assert.ok(names.includes('trigger-url-elicitation'));
    // No sampling capability declared: the server does not offer its sampling tool.
    assert.ok(!names.includes('trigger-sampling-request'));

    const form = recorder(() => ({ action: 'accept', content: { name: 'Ada', check: true } }));
    const formResult = await upstream.call(
      token(),
      'trigger-elicitation-request',
      {},
      new AbortController().signal,
      form.handlers,
    );
    assert.equal(form.seen.inputs.length, 1);
    assert.equal(form.seen.inputs[0]!.mode, 'form');
    assert.ok(form.seen.inputs[0]!.requestedSchema);
    assert.match(textOf(formResult), /- Name: Ada/);

    const url = recorder(() => ({ action: 'accept' }));
    const urlResult = await upstream.call(
      token(),
      'trigger-url-elicitation',
      { url: 'https://example.com/consent', elicitationId: 'el-7' },
      new AbortController().signal,
      url.handlers,
    );
    assert.deepEqual(url.seen.inputs, [
      {
        mode: 'url',
        message: 'Please open the link to complete this action.',
        url: 'https://example.com/consent',
        elicitationId: 'el-7',
      },
    ]);
    assert.match(textOf(urlResult), /User completed the URL elicitation flow/);
  });

  test(`sampling and roots requests are refused and the call is told, over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder();
    const result = await upstream.call(
      token(),
      'sample',
      {},
      new AbortController().signal,
      handlers,
    );
    assert.equal(
      textOf(result),
      'sampling: -32601 MCP error -32601: mcp-progress-gateway does not support sampling | ' +
        'roots: -32601 MCP error -32601: mcp-progress-gateway does not support roots',
    );
    assert.deepEqual(
      seen.logs.map((l) => [l.level, l.logger]),
      [
        ['warning', 'mcp-progress-gateway'],
        ['warning', 'mcp-progress-gateway'],
      ],
    );
    assert.match(String(seen.logs[0]!.data), /sampling/);
    assert.match(String(seen.logs[1]!.data), /roots/);
  });

  test(`a URL-mode request from the fixture reaches the only call, over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    const { seen, handlers } = recorder(() => ({ action: 'decline' }));
    const result = await upstream.call(
      token(),
      'ask_url',
      {},
      new AbortController().signal,
      handlers,
    );
    assert.equal(textOf(result), 'url: decline');
    assert.equal(seen.inputs[0]!.mode, 'url');
    assert.equal(seen.inputs[0]!.elicitationId, 'e-1');
  });

  test(`two task calls on one session each get their own question and log, over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    assertOwnInputsAndLogs(await twoAtOnce(upstream, 'task_elicit'));
  });

  test(`a pending question is cancelled when its call is aborted, over ${kind}`, async (t) => {
    const { upstream } = await fixture(t, kind);
    await upstream.tools();
    let answered: (() => void) | undefined;
    const rec = recorder(
      (_request, signal) =>
        new Promise((resolve) => {
          answered = () => resolve({ action: 'accept', content: { answer: 'late' } });
          signal.addEventListener('abort', () => answered?.());
        }),
    );
    const controller = new AbortController();
    const call = upstream.call(token(), 'ask', { label: 'z' }, controller.signal, rec.handlers);
    await waitUntil(() => rec.seen.signals.length === 1, 'the question');
    controller.abort(new Error('cancelled by the test'));
    await assert.rejects(call);
    assert.equal(rec.seen.signals[0]!.aborted, true, 'the job layer is told to drop it');
  });
}

test('two plain calls on one Streamable HTTP session: tied by their response streams', async (t) => {
  const { upstream } = await fixture(t, 'streamable-http');
  await upstream.tools();
  assertOwnInputsAndLogs(await twoAtOnce(upstream, 'ask'));
});

test('two plain calls on one stdio session: nothing ties their questions, so they are declined', async (t) => {
  const { upstream } = await fixture(t, 'stdio');
  await upstream.tools();
  const calls = ['a', 'b'].map((label) => {
    const rec = recorder(answerByLabel);
    return {
      label,
      rec,
      result: upstream.call(
        token(label),
        'ask',
        { label },
        new AbortController().signal,
        rec.handlers,
      ),
    };
  });
  for (const { label, rec, result } of calls) {
    assert.equal(textOf(await result), `${label}: decline null`);
    assert.deepEqual(rec.seen.inputs, [], 'never misattributed');
    assert.deepEqual(rec.seen.logs, [], 'logs dropped');
  }
});

for (const kind of transports) {
  test(`session-per-job: each call has a session of its own and its own questions, over ${kind}`, async (t) => {
    const { upstream, http } = await fixture(t, kind, { isolation: 'session-per-job' });
    await upstream.tools();
    const before = http?.initialized() ?? 0;
    const runs = await twoAtOnce(upstream, 'ask');
    assertOwnInputsAndLogs(runs);
    if (http) assert.equal(http.initialized() - before, 2, 'one new session per call');
    assert.equal(upstream.status().activeCalls, 0);
    assert.equal(upstream.status().state, 'connected', 'the shared session stays for status');
  });
}
