/**
 * Task-backed jobs and input requests through the whole gateway, against a third-party server
 * from npm (server-everything over stdio): the job's status, statusMessage, task and
 * pendingInput, the `input_required` event, and answers over POST /v1/jobs/{id}/input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { everythingStdio, startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

interface JobBody {
  status: string;
  statusMessage: string | null;
  task: { id: string; status: string } | null;
  pendingInput: { requestId: string; mode: string; requestedSchema?: unknown; message: string }[];
  lastInput: { requestId: string; action: string; reason: string } | null;
  result: { content: { type: string; text: string }[] } | null;
  error: { code: string } | null;
}

test('a task-only tool runs as a task: status texts become status events, the result arrives', async (t) => {
  const gw = await startGateway(t, { upstreams: [everythingStdio()] });
  const job = await gw.startJob({
    server: 'everything',
    tool: 'simulate-research-query',
    arguments: { topic: 'tides' },
  });
  const stream = await gw.collect(job.id);
  const statuses = stream.parser.events
    .filter((e) => e.event === 'status' && e.id !== undefined)
    .map((e) => JSON.parse(e.data) as JobBody);
  const messages = statuses.map((s) => s.statusMessage).filter((m) => m !== null);
  assert.ok(
    messages.some((m) => m.startsWith('Gathering sources')),
    `status texts: ${JSON.stringify(messages)}`,
  );
  assert.ok(statuses.some((s) => s.task !== null && s.task.status === 'working'));
  const done = JSON.parse(stream.parser.events.at(-1)!.data) as JobBody;
  assert.equal(stream.parser.events.at(-1)!.event, 'done');
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  assert.match(done.result!.content[0]!.text, /Research Report: tides/);
  assert.ok(done.task?.id);
});

test('an input request is shown, checked, answered once over REST, and reaches the tool', async (t) => {
  const gw = await startGateway(t, { upstreams: [everythingStdio()] });
  const job = await gw.startJob({
    server: 'everything',
    tool: 'simulate-research-query',
    arguments: { topic: 'python', ambiguous: true },
  });
  const stream = await gw.events(job.id);
  t.after(() => stream.close());
  await waitUntil(
    () => stream.parser.events.some((e) => e.event === 'input_required'),
    'the input_required event',
    60_000,
  );
  const asked = JSON.parse(
    stream.parser.events.find((e) => e.event === 'input_required')!.data,
  ) as JobBody['pendingInput'][number];
  assert.equal(asked.mode, 'form');
  const polled = (await gw.http.get(`/v1/jobs/${job.id}`)).body as JobBody;
  assert.equal(polled.status, 'input_required');
  assert.deepEqual(
    polled.pendingInput.map((p) => p.requestId),
    [asked.requestId],
  );

  const answer = (body: object) => gw.http.post(`/v1/jobs/${job.id}/input`).send(body);
  // Not one of the offered interpretations: refused before anything goes upstream.
  const wrong = await answer({
    requestId: asked.requestId,
    action: 'accept',
    content: { interpretation: 'snakes and ladders' },
  });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.code, 'INVALID_INPUT');
  assert.equal(wrong.body.errors[0].pointer, '/content/interpretation');
  const missing = await answer({ requestId: asked.requestId, action: 'accept', content: {} });
  assert.equal(missing.body.code, 'INVALID_INPUT');
  const extra = await answer({
    requestId: asked.requestId,
    action: 'accept',
    content: { interpretation: 'programming', more: 1 },
  });
  assert.equal(extra.body.code, 'INVALID_INPUT');
  const unknown = await answer({ requestId: 'AAAAAAAAAAAAAAAA', action: 'decline' });
  assert.equal(unknown.status, 409);
  assert.equal(unknown.body.code, 'INPUT_NOT_PENDING');
  const malformed = await answer({ requestId: asked.requestId, action: 'maybe' });
  assert.equal(malformed.status, 400);

  const accepted = await answer({
    requestId: asked.requestId,
    action: 'accept',
    content: { interpretation: 'programming' },
  });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  assert.deepEqual((accepted.body as JobBody).pendingInput, []);
  const twice = await answer({
    requestId: asked.requestId,
    action: 'accept',
    content: { interpretation: 'programming' },
  });
  assert.equal(twice.status, 409);
  assert.equal(twice.body.code, 'INPUT_NOT_PENDING');

  await stream.ended;
  const done = JSON.parse(stream.parser.events.at(-1)!.data) as JobBody;
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  assert.match(done.result!.content[0]!.text, /programming/);
  assert.equal(done.lastInput?.requestId, asked.requestId);
  assert.equal(done.lastInput?.reason, 'answered');
  const statuses = stream.parser.events
    .filter((e) => e.event === 'status' && e.id !== undefined)
    .map((e) => (JSON.parse(e.data) as JobBody).status);
  assert.ok(statuses.includes('input_required'));
  assert.ok(statuses.lastIndexOf('running') > statuses.indexOf('input_required'));
});

test('an unanswered input request is declined at expiresAt and the job goes on', async (t) => {
  const gw = await startGateway(t, {
    upstreams: [everythingStdio()],
    env: { INPUT_TIMEOUT_MS: '1000' },
  });
  const job = await gw.startJob({
    server: 'everything',
    tool: 'simulate-research-query',
    arguments: { topic: 'python', ambiguous: true },
  });
  const stream = await gw.collect(job.id);
  const done = JSON.parse(stream.parser.events.at(-1)!.data) as JobBody;
  assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  assert.equal(done.lastInput?.reason, 'expired');
  assert.equal(done.lastInput?.action, 'decline');
  assert.match(done.result!.content[0]!.text, /declined/);
});
