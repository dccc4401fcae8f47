/**
 * Assertions on what the scenarios of scenarios.ts report, shared by the Node and the Chromium
 * runs. Some also ask the gateway itself (a cancelled job really is cancelled there).
 */
import assert from 'node:assert/strict';
import type { ClientGateways } from './harness.js';
import {
  UNDEFINED,
  type ErrorInfo,
  type Outcome,
  type ScenarioName,
  type ScenarioResult,
} from './scenarios.js';

function value<T>(outcome: Outcome<T>, what: string): T {
  if (!outcome.ok) assert.fail(`${what} rejected: ${JSON.stringify(outcome.error)}`);
  return outcome.value;
}

function failure(outcome: Outcome<unknown>, what: string): ErrorInfo {
  if (outcome.ok) assert.fail(`${what} resolved: ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

function assertClientError(error: ErrorInfo, code: string, status: number | null = null): void {
  assert.equal(error.isGatewayClientError, true, `a GatewayClientError: ${JSON.stringify(error)}`);
  assert.equal(error.code, code, error.message);
  assert.equal(error.status, status);
}

/** Each status once, in lifecycle order, ending in `final` (`queued` may have passed unseen). */
function assertLifecycle(statuses: string[], final: string, from: string[]): void {
  const expected = [...from, final];
  assert.equal(statuses.at(-1), final, statuses.join());
  assert.deepEqual(
    statuses,
    expected.filter((s) => statuses.includes(s)),
    `${statuses.join()} in the order of ${expected.join()}`,
  );
}

const steps = (n: number, from = 1) => Array.from({ length: n - from + 1 }, (_, i) => from + i);

type Checks = {
  [N in ScenarioName]: (result: ScenarioResult<N>, gateways: ClientGateways) => Promise<void>;
};

export const checks: Checks = {
  async clientHandler({ calls, result }) {
    assert.deepEqual(value(result, 'slow').content, [{ type: 'text', text: 'slow 3' }]);
    assert.deepEqual(calls, [
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  },

  async perCallHandler({ clientCalls, perCallCalls, percents, result }) {
    value(result, 'slow');
    assert.deepEqual(clientCalls, [], 'the client-level handler is not called');
    assert.deepEqual(
      perCallCalls,
      steps(3).map((i) => ({ progress: i, total: UNDEFINED, message: `step ${i}` })),
    );
    assert.deepEqual(percents, [null, null, null]);
  },

  async result(outcome) {
    const result = value(outcome, 'echo');
    assert.deepEqual(result.structuredContent, { args: { a: 1, b: ['x'] } });
    assert.deepEqual(result.content, [{ type: 'text', text: '{"a":1,"b":["x"]}' }]);
    assert.notEqual(result.isError, true);
  },

  async toolError(outcome, { main }) {
    const error = failure(outcome, 'tool_error');
    assertClientError(error, 'TOOL_ERROR');
    assert.equal(error.name, 'GatewayClientError');
    assert.deepEqual(error.result, { isError: true, content: [{ type: 'text', text: 'nope' }] });
    assert.equal(error.jobStatus, 'failed');
    assert.equal(error.jobErrorCode, 'TOOL_ERROR');
    const job = await main.http.get(`/v1/jobs/${error.jobId}`);
    assert.equal(job.body.status, 'failed');
  },

  async upstreamError(outcome) {
    const error = failure(outcome, 'throw');
    assertClientError(error, 'UPSTREAM_ERROR');
    assert.match(error.message, /kaput/);
    assert.equal(error.jobStatus, 'failed');
    assert.equal(error.result, null);
  },

  async httpErrors({ unknownServer, unknownTool, unknownJob, badOptions }) {
    assertClientError(failure(unknownServer, 'unknown server'), 'UNKNOWN_SERVER', 404);
    assertClientError(failure(unknownTool, 'unknown tool'), 'UNKNOWN_TOOL', 404);
    assertClientError(failure(unknownJob, 'unknown job'), 'JOB_NOT_FOUND', 404);
    assertClientError(failure(badOptions, 'fractional timeoutMs'), 'INVALID_REQUEST', 400);
  },

  async deadlines({ idle, hard }) {
    assertClientError(failure(idle, 'idle deadline'), 'JOB_IDLE_TIMEOUT');
    assertClientError(failure(hard, 'hard deadline'), 'JOB_TIMEOUT');
  },

  async abort({ result, jobId, callsAtRejection, progressCalls, early, job }, { main }) {
    const error = failure(result, 'aborted call');
    assertClientError(error, 'CANCELLED');
    assert.equal(error.name, 'AbortError');
    assert.equal(error.jobStatus, 'cancelled', 'the error carries the cancelled job');
    assert.equal(callsAtRejection, 2, 'no progress is delivered after the abort');
    assert.equal(progressCalls, 2, 'nor after the rejection');
    const earlyError = failure(early, 'call with an aborted signal');
    assert.equal(earlyError.name, 'AbortError');
    assert.equal(earlyError.code, 'CANCELLED');
    assert.equal(earlyError.jobId, null, 'no job was started');
    // The gateway itself has the job cancelled.
    assert.equal(job?.status, 'cancelled');
    const res = await main.http.get(`/v1/jobs/${jobId}`);
    assert.equal(res.body.status, 'cancelled');
    assert.equal(res.body.error.code, 'CANCELLED');
  },

  async cancelledElsewhere({ result, cancelled, cancelAgain }) {
    const error = failure(result, 'cancelled call');
    assertClientError(error, 'CANCELLED');
    assert.equal(error.name, 'GatewayClientError');
    assert.equal(error.jobStatus, 'cancelled');
    assert.ok(cancelled);
    assert.equal(value(cancelled, 'cancel').status, 'cancelled');
    assert.ok(cancelAgain);
    assertClientError(failure(cancelAgain, 'second cancel'), 'JOB_FINISHED', 409);
  },

  async resumeAfterCut({ result, progress, ids, connections }) {
    assert.deepEqual(value(result, 'slow 60').content, [{ type: 'text', text: 'slow 60' }]);
    assert.deepEqual(progress, steps(60), 'every progress once, in order');
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    // At least: the first connection, one after the cut, one after the clean end.
    assert.ok(connections.length >= 3, `${connections.length} connections`);
    assert.equal(connections[0]!.lastEventId, null);
    for (const [i, connection] of connections.slice(1).entries()) {
      assert.ok(connection.lastEventId, `reconnection ${i + 1} sends Last-Event-ID`);
      assert.ok(ids.includes(connection.lastEventId), 'an id the client received');
    }
  },

  async auth({ calls, result, servers, wrongCall, wrongServers, noKey }) {
    assert.deepEqual(value(result, 'keyed call').content, [{ type: 'text', text: 'slow 2' }]);
    assert.deepEqual(
      calls.map((c) => c.progress),
      [1, 2],
    );
    assert.deepEqual(value(servers, 'listServers'), ['fixture']);
    assertClientError(failure(wrongCall, 'wrong key'), 'UNAUTHORIZED', 401);
    assertClientError(failure(wrongServers, 'wrong key'), 'UNAUTHORIZED', 401);
    assertClientError(failure(noKey, 'no key'), 'UNAUTHORIZED', 401);
  },

  async streamToken({ eventsLink, calls, done, refused }) {
    assert.match(eventsLink, /\?token=/);
    const job = value(done, 'watch with the stream token');
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(job.result, { content: [{ type: 'text', text: 'slow 3' }] });
    assert.deepEqual(
      calls.map((c) => c.progress),
      [1, 2, 3],
    );
    assertClientError(failure(refused, 'watch without the token'), 'UNAUTHORIZED', 401);
  },

  async watchAndReattach({ first, second, third, statuses, statuses2, closed, done, again }) {
    assert.deepEqual(first, [1, 2, 3]);
    const closedError = failure(closed, 'closed watch');
    assert.equal(closedError.name, 'AbortError');
    assert.equal(closedError.code, 'CLOSED');
    assert.deepEqual(second, steps(8, 4), 'the reattached watch sees exactly the rest');
    assert.equal(value(done, 'reattached watch').status, 'succeeded');
    assert.deepEqual(third, [], 'nothing after done');
    const final = value(again, 'watch resumed after done');
    assert.equal(final.status, 'succeeded');
    assert.deepEqual(final.result, { content: [{ type: 'text', text: 'slow 8' }] });
    // watch1 knew the job as started and saw it run (or knew it running), and was closed;
    // watch2, given only the id, reports the status its first snapshot shows, then the end.
    assert.ok(statuses.length <= 1 && statuses.every((s) => s === 'running'), statuses.join());
    assert.deepEqual(statuses2, ['running', 'succeeded']);
  },

  async logsAndStatus({ result, logs, statuses, events }) {
    value(result, 'log');
    assert.deepEqual(logs, [
      { level: 'info', logger: 'fixture', data: { i: 1 } },
      { level: 'warning', logger: 'fixture', data: { i: 2 } },
      { level: 'error', logger: 'fixture', data: { i: 3 } },
    ]);
    assertLifecycle(statuses, 'succeeded', ['queued', 'running']);
    assert.ok(statuses.length >= 2, 'the start and the end at least');
    assert.deepEqual(events, ['status', 'log', 'log', 'log', 'progress', 'done']);
  },

  async throwingHandler({ result, reported }) {
    value(result, 'slow with a throwing handler');
    assert.deepEqual(reported, ['handler broke at 1', 'handler broke at 2', 'handler broke at 3']);
  },

  async listing({ servers, tools, unknown, jobs }) {
    const [fixture] = value(servers, 'listServers');
    assert.equal(fixture?.name, 'fixture');
    assert.equal(fixture?.transport, 'stdio');
    const names = value(tools, 'listTools');
    for (const name of ['slow', 'burst', 'tool_error', 'throw', 'honour_cancel', 'silent']) {
      assert.ok(names.includes(name), name);
    }
    assertClientError(failure(unknown, 'unknown server'), 'UNKNOWN_SERVER', 404);
    const page = value(jobs, 'listJobs');
    assert.ok(page.count <= 2);
  },
};
