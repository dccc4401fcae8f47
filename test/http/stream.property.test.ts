/**
 * Property-based tests of the event streams over a real socket (docs/event-stream.md):
 * a job (or two) runs on the fixture upstream while a few subscribers connect (with no id, with
 * the last id they saw, with a junk or foreign id; by header, by `?lastEventId=`, or both),
 * read a while and disconnect, in a random order, until everyone has seen `done`.
 *
 * Every session is checked against the job's full log, as a late subscriber replays it: it opens
 * with id-less `status` snapshots, then holds exactly the events after the position its cursor
 * stands for (its own last id, or the start for anything else) with no gap and no duplicate, and
 * a session the server ended reaches `done`. A cursor at `done` gets 204. No fixed sleeps: every
 * wait is for a number of events or for the end of a response.
 *
 * Replay a failure with FC_SEED=<seed> (and FC_PATH=<path>) from fast-check's report; FC_RUNS
 * changes the number of cases.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { openSse, type SseConnection, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';

type JobSpec =
  { tool: 'slow'; steps: number; intervalMs: number } | { tool: 'burst'; count: number };

type Action =
  | {
      op: 'connect';
      sub: number;
      from: 'none' | 'last' | 'junk' | 'foreign';
      /** `header-over-query`: the cursor in Last-Event-ID and junk in ?lastEventId=. */
      via: 'header' | 'query' | 'header-over-query';
      junkHeader: string;
      junkQuery: string;
      /** Which foreign id, for `from: 'foreign'`. */
      pick: number;
    }
  /** Waits until `k` more events arrived on the open connection (or it ended). */
  | { op: 'read'; sub: number; k: number }
  | { op: 'disconnect'; sub: number };

interface Scenario {
  jobs: JobSpec[];
  subscribers: number;
  actions: Action[];
}

const jobSpecArb: fc.Arbitrary<JobSpec> = fc.oneof(
  fc.record({
    tool: fc.constant('slow' as const),
    steps: fc.integer({ min: 1, max: 12 }),
    intervalMs: fc.integer({ min: 1, max: 25 }),
  }),
  fc.record({ tool: fc.constant('burst' as const), count: fc.integer({ min: 1, max: 60 }) }),
);

/** Junk a header can carry: visible ASCII (Node refuses CR, LF and NUL in headers). */
const junkHeaderArb = fc.oneof(
  fc.stringMatching(/^[!-~]{1,24}$/),
  fc.constantFrom('0', '-1', 'garbage', '~', '~~', 'x.1', '999999999999999999999'),
);
/** Junk a query string can carry (URL-encoded): anything printable, CR, LF, NUL, `~`. */
const junkQueryArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.constantFrom('', '\r\n', '\0', 'a\r\nid: 9\n\nevent: done', '~', '~x~', ' ', 'x'.repeat(3000)),
);

const actionArb = (subscribers: number): fc.Arbitrary<Action> => {
  const sub = fc.integer({ min: 0, max: subscribers - 1 });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('connect' as const),
        sub,
        from: fc.oneof(
          { weight: 4, arbitrary: fc.constant('last' as const) },
          fc.constantFrom('none' as const, 'junk' as const, 'foreign' as const),
        ),
        via: fc.constantFrom('header' as const, 'query' as const, 'header-over-query' as const),
        junkHeader: junkHeaderArb,
        junkQuery: junkQueryArb,
        pick: fc.nat(100),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('read' as const),
        sub,
        k: fc.integer({ min: 1, max: 8 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('disconnect' as const), sub }) },
  );
};

const scenarioArb = (jobs: number): fc.Arbitrary<Scenario> =>
  fc.integer({ min: 1, max: 3 }).chain((subscribers) =>
    fc.record({
      jobs: fc.array(jobSpecArb, { minLength: jobs, maxLength: jobs }),
      subscribers: fc.constant(subscribers),
      actions: fc.array(actionArb(subscribers), { minLength: 4, maxLength: 16, size: 'medium' }),
    }),
  );

/** One connection of one subscriber, as it saw it. */
interface Session {
  /** The cursor the server should use: Last-Event-ID when non-empty, else ?lastEventId=. */
  cursor: string | undefined;
  status: number;
  contentType: string | undefined;
  events: SseEvent[];
  /** Whether the server ended the response (rather than the subscriber closing it). */
  ended: boolean;
}

interface Subscriber {
  sessions: Session[];
  open?: { conn: SseConnection; session: Session; ended: boolean };
  lastId: string | undefined;
}

/** Where the streams of one scenario live. */
interface Target {
  ids: string[];
  url(query: string): string;
  /** Junk ids that belong to another job (or another stream). */
  foreign: string[];
}

let gw: TestGateway;
/** A finished job whose ids are "another job's id" to every scenario. */
let decoy: { single: string[]; multi: string[] };
const tally: Record<string, number> = {};
const count = (key: string) => (tally[key] = (tally[key] ?? 0) + 1);

before(async () => {
  gw = await startGateway(undefined);
  const job = await gw.startJob({ server: 'fixture', tool: 'burst', arguments: { count: 3 } });
  const single = await openSse(`${gw.url}/v1/jobs/${job.id}/events`);
  await single.ended;
  const multi = await openSse(`${gw.url}/v1/events?job=${job.id}`);
  await multi.ended;
  const ids = (events: SseEvent[]) =>
    events.map((e) => e.id).filter((id): id is string => id !== undefined);
  decoy = { single: ids(single.events), multi: ids(multi.events) };
  assert.ok(decoy.single.length >= 3 && decoy.multi.length >= 3);
});

after(async () => {
  await gw?.close();
});

function closeSession(sub: Subscriber): void {
  const open = sub.open;
  if (!open) return;
  // What arrived before the close is the session; `ended` only if the server ended it first.
  open.session.events = open.conn.events.slice();
  open.session.ended = open.ended;
  open.conn.close();
  sub.open = undefined;
  sub.lastId = open.session.events.findLast((e) => e.id !== undefined)?.id ?? sub.lastId;
}

async function connect(target: Target, sub: Subscriber, action: Action & { op: 'connect' }) {
  closeSession(sub);
  const cursor =
    action.from === 'last'
      ? sub.lastId
      : action.from === 'junk'
        ? action.via === 'query'
          ? action.junkQuery
          : action.junkHeader
        : action.from === 'foreign'
          ? target.foreign[action.pick % target.foreign.length]
          : undefined;
  const headers: Record<string, string> = {};
  let query: string | undefined;
  if (action.via === 'query') query = cursor;
  else {
    if (cursor !== undefined && cursor !== '') headers['last-event-id'] = cursor;
    if (action.via === 'header-over-query') query = action.junkQuery;
  }
  // The header wins when it is there and not empty (docs/event-stream.md#resume); `?lastEventId=` otherwise.
  const effective = headers['last-event-id'] ?? query;
  count(`connect ${action.from} by ${action.via}`);
  const qs = query === undefined ? '' : `lastEventId=${encodeURIComponent(query)}`;
  const conn = await openSse(target.url(qs), headers, { timeoutMs: 20_000 });
  const session: Session = {
    cursor: effective === '' ? undefined : effective,
    status: conn.status,
    contentType: conn.headers['content-type'],
    events: [],
    ended: false,
  };
  sub.sessions.push(session);
  const open = { conn, session, ended: false };
  conn.ended.then(() => (open.ended = true));
  sub.open = open;
}

/** Waits for the server to end a response; jobs here last well under a second. */
async function untilEnded(conn: SseConnection): Promise<void> {
  let ended = false;
  conn.ended.then(() => (ended = true));
  await waitUntil(() => ended, 'the server to end the stream', 20_000);
}

async function read(sub: Subscriber, k: number): Promise<void> {
  const open = sub.open;
  if (!open) return;
  const want = open.conn.events.length + k;
  // Polled rather than SseConnection.waitFor, which only notices an end that comes while it
  // waits when its own timeout fires (it checks `ended` before the flag is set).
  await waitUntil(
    () => open.conn.events.length >= want || open.ended,
    `${k} more events or the end`,
    20_000,
  );
}

async function runScenario(target: Target, scenario: Scenario): Promise<void> {
  const subs: Subscriber[] = Array.from({ length: scenario.subscribers }, () => ({
    sessions: [],
    lastId: undefined,
  }));
  try {
    for (const action of scenario.actions) {
      const sub = subs[action.sub]!;
      if (action.op === 'connect') await connect(target, sub, action);
      else if (action.op === 'read') await read(sub, action.k);
      else closeSession(sub);
    }
    // Everyone reads to the end: the open connection until the server ends it, else a resume.
    for (const sub of subs) {
      if (sub.open) {
        await untilEnded(sub.open.conn);
        closeSession(sub);
      }
      const last = sub.sessions.at(-1);
      if (!last || !(last.ended || last.status === 204)) {
        const resume = {
          op: 'connect',
          sub: 0,
          from: 'last',
          via: 'header',
          junkHeader: '',
          junkQuery: '',
          pick: 0,
        } as const;
        await connect(target, sub, resume);
        await untilEnded(sub.open!.conn);
        closeSession(sub);
      }
    }
    const logs = await fullLogs(target);
    checkLogs(target, scenario, logs);
    for (const sub of subs) checkSubscriber(target, sub, logs);
    // Every stream closed on the server too, and no store listener is left behind.
    await waitUntil(() => gw.app.gateway.streams.size === 0, 'every stream closed', 20_000);
    const store = gw.app.gateway.store as { listenerCount?: (id: string) => number };
    if (typeof store.listenerCount === 'function') {
      await waitUntil(
        () => target.ids.every((id) => store.listenerCount!(id) === 0),
        'no store listener left',
        20_000,
      );
    }
    count('scenarios');
  } finally {
    for (const sub of subs) sub.open?.conn.close();
  }
}

/** Each job's full log, from a late subscriber on this stream (without its snapshots). */
async function fullLogs(target: Target): Promise<SseEvent[][]> {
  const late = await openSse(target.url(''), {}, { timeoutMs: 20_000 });
  await untilEnded(late);
  assert.equal(late.status, 200, 'a late subscriber without a cursor replays');
  const n = target.ids.length;
  const logs: SseEvent[][] = target.ids.map(() => []);
  for (const e of late.events.slice(n)) logs[jobIndex(target, e)]!.push(e);
  return logs;
}

/** Which of the target's jobs an event belongs to. */
function jobIndex(target: Target, event: SseEvent): number {
  if (target.ids.length === 1) return 0;
  const index = target.ids.indexOf(JSON.parse(event.data).jobId);
  assert.ok(index >= 0, `event for an unknown job: ${event.data.slice(0, 80)}`);
  return index;
}

/** The full logs themselves: what the fixture's tools are known to send. */
function checkLogs(target: Target, scenario: Scenario, logs: SseEvent[][]): void {
  for (const [j, log] of logs.entries()) {
    const spec = scenario.jobs[j]!;
    const data = log.map((e) => JSON.parse(e.data));
    assert.deepEqual(
      log.map((e) => e.event),
      ['status', ...log.slice(1, -1).map(() => 'progress'), 'done'],
      `job ${j}: status, progress..., done`,
    );
    assert.equal(data[0].status, 'running');
    assert.equal(data.at(-1).status, 'succeeded');
    const n = spec.tool === 'slow' ? spec.steps : spec.count;
    assert.deepEqual(
      data.slice(1, -1).map((d) => d.progress),
      Array.from({ length: n }, (_v, i) => i + 1),
      `job ${j}: every progress, in order`,
    );
    const ids = log.map((e) => e.id);
    assert.ok(
      ids.every((id) => typeof id === 'string' && id !== ''),
      `job ${j}: every logged event has an id`,
    );
    if (target.ids.length > 1) {
      assert.ok(
        data.every((d) => d.jobId === target.ids[j]),
        `job ${j}: data carries its jobId`,
      );
    }
  }
  const all = logs.flat().map((e) => e.id);
  assert.equal(new Set(all).size, all.length, 'ids are distinct');
}

/**
 * One subscriber's sessions, in order. The position a cursor stands for is known from the session
 * that delivered it (clients never parse ids); anything else (no id, junk, a foreign id) replays
 * from the start. Each session must then hold exactly the next events of every job.
 */
function checkSubscriber(target: Target, sub: Subscriber, logs: SseEvent[][]): void {
  const n = target.ids.length;
  const zero = logs.map(() => 0);
  const positions = new Map<string, number[]>();
  for (const [s, session] of sub.sessions.entries()) {
    const label = `session ${s} (cursor ${JSON.stringify(session.cursor)})`;
    const pos = [...((session.cursor !== undefined && positions.get(session.cursor)) || zero)];
    const seenAll = pos.every((p, j) => p === logs[j]!.length);
    count(
      seenAll
        ? 'sessions at done (204)'
        : pos.some((p) => p > 0)
          ? 'sessions resumed mid-log'
          : 'sessions replaying from the start',
    );
    if (seenAll) {
      assert.equal(session.status, 204, `${label}: a cursor at done gets 204`);
      continue;
    }
    assert.equal(session.status, 200, `${label}: status`);
    assert.equal(session.contentType, 'text/event-stream', `${label}: content type`);
    const { events } = session;
    // Opening snapshots: one id-less `status` per job, in order.
    events.slice(0, n).forEach((e, j) => {
      assert.equal(e.event, 'status', `${label}: snapshot ${j}`);
      assert.equal(e.id, undefined, `${label}: a snapshot carries no id`);
      const data = JSON.parse(e.data);
      assert.equal(n === 1 ? data.id : data.jobId, target.ids[j], `${label}: snapshot job`);
    });
    const ids = new Set<string>();
    for (const [i, e] of events.slice(n).entries()) {
      const where = `${label}, event ${i}`;
      assert.ok(e.id !== undefined && e.id !== '', `${where}: ${e.event} without an id`);
      assert.ok(!ids.has(e.id), `${where}: id ${e.id} twice`);
      ids.add(e.id);
      const j = jobIndex(target, e);
      const expected = logs[j]![pos[j]!];
      assert.ok(expected, `${where}: an event past the end of job ${j}'s log`);
      assert.deepEqual(
        { event: e.event, data: e.data },
        { event: expected.event, data: expected.data },
        `${where}: job ${j} position ${pos[j]}: gap or duplicate`,
      );
      // A job's own stream hands out the store's ids: the same event, the same id.
      if (n === 1) assert.equal(e.id, expected.id, `${where}: id`);
      pos[j]!++;
      positions.set(e.id, [...pos]);
    }
    if (session.ended) {
      assert.deepEqual(
        pos,
        logs.map((log) => log.length),
        `${label}: the server ended the stream before every done`,
      );
    }
  }
  // Resuming from its own last id, the subscriber ends up with every job's whole log.
  const final = sub.lastId === undefined ? zero : positions.get(sub.lastId);
  assert.deepEqual(
    final,
    logs.map((log) => log.length),
    'the subscriber saw every event',
  );
}

function params(seed: number, numRuns: number): fc.Parameters<[Scenario]> {
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const path = process.env.FC_PATH;
  return {
    numRuns: env('FC_RUNS') ?? numRuns,
    seed: env('FC_SEED') ?? seed,
    includeErrorInReport: true,
    // Only bounds shrinking after a failure; a passing run takes a few seconds.
    plugins: [fc.interruptAfterTimeLimit(45_000)],
    ...(path ? { path } : {}),
  };
}

const fixtureCall = (spec: JobSpec) => ({
  server: 'fixture',
  tool: spec.tool,
  arguments:
    spec.tool === 'slow'
      ? { steps: spec.steps, intervalMs: spec.intervalMs }
      : { count: spec.count },
});

test('one job: every subscriber, resuming from its own last id, gets the log with no gap or duplicate', async (t) => {
  for (const key of Object.keys(tally)) delete tally[key];
  await fc.assert(
    fc.asyncProperty(scenarioArb(1), async (scenario) => {
      const job = await gw.startJob(fixtureCall(scenario.jobs[0]!));
      const target: Target = {
        ids: [job.id],
        url: (qs) => `${gw.url}/v1/jobs/${job.id}/events${qs ? `?${qs}` : ''}`,
        foreign: decoy.single,
      };
      await runScenario(target, scenario);
      // The log's done is the final job, as GET /v1/jobs/{id} shows it.
      const res = await gw.http.get(`/v1/jobs/${job.id}`);
      const logs = await fullLogs(target);
      assert.deepEqual(JSON.parse(logs[0]!.at(-1)!.data), res.body);
    }),
    params(0x5eed11, 20),
  );
  t.diagnostic(JSON.stringify(tally));
});

test('two jobs on /v1/events: the cursor resumes both at once, with no gap or duplicate', async (t) => {
  for (const key of Object.keys(tally)) delete tally[key];
  await fc.assert(
    fc.asyncProperty(scenarioArb(2), async (scenario) => {
      const jobs = [];
      for (const spec of scenario.jobs) jobs.push(await gw.startJob(fixtureCall(spec)));
      const ids = jobs.map((j) => j.id);
      const target: Target = {
        ids,
        url: (qs) =>
          `${gw.url}/v1/events?${ids.map((id) => `job=${id}`).join('&')}${qs ? `&${qs}` : ''}`,
        foreign: [...decoy.multi, ...decoy.single],
      };
      await runScenario(target, scenario);
      // Each job's part of the shared stream is that job's own stream, jobId aside.
      const logs = await fullLogs(target);
      for (const [j, id] of ids.entries()) {
        const own = await openSse(`${gw.url}/v1/jobs/${id}/events`, {}, { timeoutMs: 20_000 });
        await untilEnded(own);
        const strip = (e: SseEvent) => {
          const { jobId: _jobId, ...data } = JSON.parse(e.data);
          return { event: e.event, data };
        };
        assert.deepEqual(
          logs[j]!.map(strip),
          own.events.slice(1).map((e) => ({ event: e.event, data: JSON.parse(e.data) })),
          `job ${j}: the shared stream matches the job's own`,
        );
      }
    }),
    params(0x5eed12, 15),
  );
  t.diagnostic(JSON.stringify(tally));
});
