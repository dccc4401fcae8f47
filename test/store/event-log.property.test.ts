/**
 * Property-based tests of a JobStore's event log (docs/event-stream.md): random
 * interleavings of appends, subscriptions (no cursor, a resumed cursor, any committed id, junk,
 * another job's id), stops (also from inside another subscriber's callback), status changes and
 * `done`, checked against a model that only uses what `commit` returned.
 *
 * `eventLogProperties(name, makeStore)` knows nothing of the implementation: live delivery may be
 * asynchronous (a Redis store's pub/sub), so the harness waits, by polling and never by a fixed
 * sleep, for every active subscriber to have been handed what was committed before it stops one
 * or checks. For the memory store delivery is synchronous and that wait returns at once.
 *
 * Replay a failure with FC_SEED=<seed> (and FC_PATH=<path>) from fast-check's report; FC_RUNS
 * changes the number of cases.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { EventInput, StoredEvent } from '../../src/domain/events.js';
import type { JobRecord } from '../../src/domain/job.js';
import { apiEventFormat } from '../../src/http/event-format.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Feed, JobStore } from '../../src/store/types.js';
import { SseParser, type SseEvent } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';
import { jobRecord, type StoreFactory } from './contract.js';

/** Jobs the commands act on; a third, finished "decoy" job supplies foreign event ids. */
const JOBS = 2;
/** Big enough that nothing is ever dropped in the no-retention property. */
const UNBOUNDED = 100_000;

type FinalStatus = 'succeeded' | 'failed' | 'cancelled';

type CursorSpec =
  | { kind: 'none' }
  /** The last id some earlier subscriber of the same job received (none if nobody got one). */
  | { kind: 'seen'; pick: number }
  /** Any id this job's log committed so far, retained or not. */
  | { kind: 'committed'; pick: number }
  | { kind: 'junk'; value: string }
  /** An id of another job (the other job of the run, or the decoy). */
  | { kind: 'foreign'; pick: number };

export type Command =
  | { op: 'append'; job: number; type: 'progress' | 'log'; payload: string }
  | { op: 'status'; job: number }
  | { op: 'finish'; job: number; status: FinalStatus }
  /** `overlap`: the next command runs while `follow` is still in flight. */
  | { op: 'subscribe'; job: number; cursor: CursorSpec; overlap: boolean }
  | { op: 'stop'; sub: number }
  /** A reconnect: stop `sub`, then follow again from the last id it saw. */
  | { op: 'resume'; sub: number }
  /** Arms `sub` to stop `target` from inside its next live callback. */
  | { op: 'stopFromCallback'; sub: number; target: number };

/** Strings that must survive the store byte for byte (inside JSON): CR, LF, NUL, unicode. */
const payloadArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom(
    '',
    '\r',
    '\n',
    '\r\n',
    '\0',
    'a\r\nevent: forged\nid: 999\r\0b',
    'data: x\n\ndata: y',
    '\u2028\u2029\u0085',
    '😀👩‍👩‍👧',
    '\ud800',
    '\udfff\ud800',
    '~',
    '"}\\',
  ),
);

const junkIdArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '0', '-1', '1', 'garbage', '.1', '~', 'x'.repeat(2000), '\r\n', '\0'),
);

const cursorArb: fc.Arbitrary<CursorSpec> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('seen' as const), pick: fc.nat(1000) }),
  fc.record({ kind: fc.constant('committed' as const), pick: fc.nat(1000) }),
  fc.record({ kind: fc.constant('junk' as const), value: junkIdArb }),
  fc.record({ kind: fc.constant('foreign' as const), pick: fc.nat(1000) }),
);

const jobArb = fc.integer({ min: 0, max: JOBS - 1 });
const subArb = fc.nat(1000);

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      job: jobArb,
      type: fc.constantFrom('progress' as const, 'log' as const),
      payload: payloadArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('status' as const), job: jobArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('finish' as const),
      job: jobArb,
      status: fc.constantFrom<FinalStatus>('succeeded', 'failed', 'cancelled'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('subscribe' as const),
      job: jobArb,
      cursor: cursorArb,
      overlap: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('stop' as const), sub: subArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('resume' as const), sub: subArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('stopFromCallback' as const),
      sub: subArb,
      target: subArb,
    }),
  },
);

/** One subscription, as the harness saw it. */
interface Sub {
  index: number;
  job: number;
  cursor: string | undefined;
  overlap: boolean;
  feed?: Feed;
  ready: Promise<void>;
  /** Live events handed over while subscribed. */
  live: StoredEvent[];
  /** Live events handed over after `stop()` returned: must stay empty. */
  afterStop: StoredEvent[];
  stopped: boolean;
  /** Committed events of the job when `follow` was called and when it had resolved. */
  countAtCall: number;
  countAtResolve: number;
  /** Committed events of the job when it was stopped. */
  countAtStop?: number;
  /**
   * Stopped from inside another subscriber's callback: it may not have been handed the event
   * being delivered (or, when a store delivers to each subscriber on its own schedule, a few
   * before it) yet.
   */
  stoppedFromCallback: boolean;
  /** The retained log (a cursor-less follow) just before this subscription, when exact. */
  retainedAtCall?: StoredEvent[];
  /** Called once on the next live event (stopFromCallback). */
  onNext?: () => void;
}

interface Run {
  store: JobStore;
  bound: number;
  records: JobRecord[];
  /** Per job, what `commit` returned, in order. */
  committed: StoredEvent[][];
  /** Per job, what was asked to be committed, in the same order. */
  inputs: EventInput[][];
  finished: boolean[];
  decoyIds: string[];
  subs: Sub[];
  serial: number;
  /** How long `settle` waits for live delivery before failing. */
  deliveryTimeoutMs: number;
  /** Whether live events are handed over inside `commit` (so retention never drops one first). */
  synchronousDelivery: boolean;
  tally: Tally;
}

/** What the cases covered, reported as a test diagnostic. */
type Tally = Record<string, number>;
const count = (tally: Tally, key: string) => (tally[key] = (tally[key] ?? 0) + 1);

const view = (e: StoredEvent) => ({ id: e.id, type: e.type, data: e.data });
const views = (events: readonly StoredEvent[]) => events.map(view);

/** The frame a store built for an event parses back (WHATWG rules) to exactly that event. */
function assertFrame(event: StoredEvent): void {
  const parsed: SseEvent[] = [];
  const parser = new SseParser((e) => parsed.push(e));
  parser.push(event.frame);
  assert.deepEqual(
    parsed,
    [{ id: event.id, event: event.type, data: event.data }],
    `frame of ${event.id}`,
  );
  assert.doesNotMatch(event.id, /[\r\n\0]/);
}

async function commit(run: Run, job: number, input: EventInput, record: JobRecord) {
  const wasFinished = run.finished[job]!;
  const stored = await run.store.commit(record, input);
  if (wasFinished) {
    assert.equal(stored, undefined, `job ${job}: a commit after done stored ${stored?.id}`);
    count(run.tally, 'commits refused after done');
    return;
  }
  assert.ok(stored, `job ${job}: commit of ${input.type} refused before done`);
  assert.equal(stored.type, input.type);
  assert.equal(stored.data, input.data, 'the data is stored byte for byte');
  assertFrame(stored);
  const taken = [...run.committed.flat().map((e) => e.id), ...run.decoyIds];
  assert.ok(!taken.includes(stored.id), `id ${stored.id} reused`);
  run.committed[job]!.push(stored);
  run.inputs[job]!.push(input);
  run.records[job] = record;
  if (input.type === 'done') run.finished[job] = true;
}

/** The ids a cursor-less follow would replay now: the retained log. */
async function retainedIds(run: Run, job: number): Promise<Set<string>> {
  const probe = await run.store.follow(run.records[job]!.id, undefined, () => {});
  probe.stop();
  return new Set(probe.history.map((e) => e.id));
}

/**
 * Waits until every active subscriber has been handed the newest event committed since its
 * `follow` resolved (immediate for a synchronous store). Live delivery is in order, so that means
 * everything before it too; with retention on, an asynchronous store may have dropped events
 * before a lagging subscriber read them, so only what is still retained is waited for.
 */
async function settle(run: Run): Promise<void> {
  const want = new Map<Sub, string>();
  const retained = new Map<number, Set<string>>();
  for (const sub of run.subs) {
    if (sub.stopped || !sub.feed) continue;
    let later = run.committed[sub.job]!.slice(sub.countAtResolve);
    if (run.bound < UNBOUNDED && !run.synchronousDelivery && later.length > 0) {
      if (!retained.has(sub.job)) retained.set(sub.job, await retainedIds(run, sub.job));
      later = later.filter((e) => retained.get(sub.job)!.has(e.id));
    }
    const newest = later.at(-1);
    if (newest) want.set(sub, newest.id);
  }
  const behind = () =>
    [...want].filter(([sub, id]) => !sub.stopped && !sub.live.some((e) => e.id === id));
  if (behind().length === 0) return;
  await waitUntil(
    () => behind().length === 0,
    'live delivery of every committed event to every subscriber',
    run.deliveryTimeoutMs,
  );
}

function pickFrom<T>(items: readonly T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

/** The last id a subscription saw (history or live), else the cursor it was given. */
function lastSeen(sub: Sub): string | undefined {
  const events = [...(sub.feed?.history ?? []), ...sub.live];
  return events.at(-1)?.id ?? sub.cursor;
}

function cursorFor(run: Run, job: number, spec: CursorSpec): string | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'seen': {
      const seen = run.subs
        .filter((s) => s.job === job && s.feed)
        .map((s) => [...s.feed!.history, ...s.live].at(-1)?.id)
        .filter((id): id is string => id !== undefined);
      return pickFrom(seen, spec.pick);
    }
    case 'committed':
      return pickFrom(run.committed[job]!, spec.pick)?.id;
    case 'junk':
      return spec.value;
    case 'foreign': {
      const others = run.committed
        .filter((_e, j) => j !== job)
        .flat()
        .map((e) => e.id);
      return pickFrom([...others, ...run.decoyIds], spec.pick);
    }
  }
}

async function subscribe(
  run: Run,
  job: number,
  cursor: string | undefined,
  overlap: boolean,
): Promise<Sub> {
  let retainedAtCall: StoredEvent[] | undefined;
  if (!overlap) {
    const probe = await run.store.follow(run.records[job]!.id, undefined, () => {});
    probe.stop();
    retainedAtCall = probe.history;
  }
  const sub: Sub = {
    index: run.serial++,
    job,
    cursor,
    overlap,
    ready: Promise.resolve(),
    live: [],
    afterStop: [],
    stopped: false,
    countAtCall: run.committed[job]!.length,
    countAtResolve: 0,
    stoppedFromCallback: false,
    ...(retainedAtCall ? { retainedAtCall } : {}),
  };
  run.subs.push(sub);
  sub.ready = run.store
    .follow(run.records[job]!.id, cursor, (event) => {
      if (sub.stopped) {
        sub.afterStop.push(event);
        return;
      }
      sub.live.push(event);
      const next = sub.onNext;
      sub.onNext = undefined;
      next?.();
    })
    .then((feed) => {
      sub.feed = feed;
      sub.countAtResolve = run.committed[job]!.length;
    });
  return sub;
}

function stopNow(run: Run, sub: Sub, fromCallback = false): void {
  if (sub.stopped || !sub.feed) return;
  sub.feed.stop();
  sub.stopped = true;
  sub.countAtStop = run.committed[sub.job]!.length;
  sub.stoppedFromCallback = fromCallback;
}

async function stop(run: Run, sub: Sub): Promise<void> {
  await sub.ready;
  await settle(run);
  stopNow(run, sub);
}

async function execute(run: Run, command: Command): Promise<void> {
  const base = (job: number) => run.records[job]!;
  switch (command.op) {
    case 'append': {
      const n = run.inputs[command.job]!.length + 1;
      const data =
        command.type === 'progress'
          ? { progress: n, total: null, message: command.payload, percent: null }
          : { level: 'info', logger: command.payload, data: { n, text: command.payload } };
      const record = {
        ...base(command.job),
        ...(command.type === 'progress' ? { progress: data as never } : {}),
      };
      const running = run.finished[command.job]
        ? { ...record, status: 'running' as const }
        : record;
      await commit(run, command.job, { type: command.type, data: JSON.stringify(data) }, running);
      return;
    }
    case 'status': {
      const record = { ...base(command.job), status: 'running' as const };
      const data = JSON.stringify({ status: 'running', n: run.inputs[command.job]!.length + 1 });
      await commit(run, command.job, { type: 'status', data }, record);
      return;
    }
    case 'finish': {
      const record = {
        ...base(command.job),
        status: command.status,
        finishedAt: new Date(0).toISOString(),
      };
      const data = JSON.stringify({ status: command.status, n: run.inputs[command.job]!.length });
      await commit(run, command.job, { type: 'done', data }, record);
      return;
    }
    case 'subscribe': {
      const cursor = cursorFor(run, command.job, command.cursor);
      const sub = await subscribe(run, command.job, cursor, command.overlap);
      if (!command.overlap) await sub.ready;
      return;
    }
    case 'stop': {
      const sub = pickFrom(run.subs, command.sub);
      if (sub) await stop(run, sub);
      return;
    }
    case 'resume': {
      const sub = pickFrom(run.subs, command.sub);
      if (!sub) return;
      await stop(run, sub);
      const again = await subscribe(run, sub.job, lastSeen(sub), false);
      await again.ready;
      return;
    }
    case 'stopFromCallback': {
      const sub = pickFrom(run.subs, command.sub);
      const target = pickFrom(run.subs, command.target);
      if (!sub || !target) return;
      await Promise.all([sub.ready, target.ready]);
      sub.onNext = () => {
        count(run.tally, 'stops from inside a callback');
        stopNow(run, target, true);
      };
      return;
    }
  }
}

/** Index of `id` in the job's committed sequence, or -1. */
const indexIn = (committed: readonly StoredEvent[], id: string | undefined) =>
  id === undefined ? -1 : committed.findIndex((e) => e.id === id);

/**
 * How far into the job's committed events a subscription's share goes: all of them, or those
 * committed before it was stopped. A subscription stopped from inside another one's callback
 * ends where its events end, which may be short of the stop (but never past the event then being
 * delivered, which a synchronous store has not yet counted as committed).
 */
function endOf(run: Run, sub: Sub, received: readonly StoredEvent[], floor: number): number {
  const committed = run.committed[sub.job]!;
  if (!sub.stopped) return committed.length;
  if (!sub.stoppedFromCallback) return sub.countAtStop!;
  const end = Math.max(floor, indexIn(committed, received.at(-1)?.id) + 1);
  assert.ok(end <= sub.countAtStop! + 1, `sub #${sub.index}: got events committed after stop`);
  return end;
}

function tallySub(run: Run, sub: Sub, at: number, received: readonly StoredEvent[]): void {
  const cursor = run.committed[sub.job]![at];
  const trimmed =
    cursor && sub.retainedAtCall && !sub.retainedAtCall.some((e) => e.id === cursor.id);
  count(
    run.tally,
    sub.cursor === undefined
      ? 'subscriptions with no cursor'
      : at < 0
        ? 'subscriptions with a junk or foreign cursor'
        : trimmed
          ? 'subscriptions with a cursor retention dropped'
          : 'subscriptions with a placed cursor',
  );
  if (sub.overlap) count(run.tally, 'subscriptions racing a command');
  if (sub.live.length > 0) count(run.tally, 'subscriptions that got live events');
  if (sub.stopped) count(run.tally, 'stopped subscriptions');
  if (received.at(-1)?.type === 'done') count(run.tally, 'subscriptions that saw done');
}

/** Checks one subscription against the committed sequence (retention off: exact). */
function checkExact(run: Run, sub: Sub): void {
  const committed = run.committed[sub.job]!;
  const feed = sub.feed!;
  const at = indexIn(committed, sub.cursor);
  const start = at + 1;
  const label = `sub #${sub.index} (job ${sub.job}, cursor ${JSON.stringify(sub.cursor?.slice(0, 40))})`;
  assert.deepEqual(sub.afterStop.map(view), [], `${label}: delivered after stop`);
  assert.equal(feed.placed, at >= 0, `${label}: placed`);
  const received = [...feed.history, ...sub.live];
  const end = endOf(run, sub, received, start);
  tallySub(run, sub, at, received);
  assert.deepEqual(
    views(received),
    views(committed.slice(start, end)),
    `${label}: history + live = the log after its cursor`,
  );
  if (!sub.overlap) {
    assert.deepEqual(
      views(feed.history),
      views(committed.slice(start, sub.countAtCall)),
      `${label}: history`,
    );
    assert.equal(
      feed.ended,
      committed[sub.countAtCall - 1]?.type === 'done',
      `${label}: ended when the log ends with done`,
    );
  }
}

/**
 * Checks one subscription when retention is on: no duplicate, strictly in order, done last, and
 * nothing missed that was retained when it subscribed or committed (and kept) while it was.
 * `kept` is the job's retained log at the end: an event retained then was retained all along.
 */
function checkRetained(run: Run, sub: Sub, kept: ReadonlySet<string>): void {
  const committed = run.committed[sub.job]!;
  const feed = sub.feed!;
  const label = `sub #${sub.index} (job ${sub.job}, cursor ${JSON.stringify(sub.cursor?.slice(0, 40))})`;
  assert.deepEqual(sub.afterStop.map(view), [], `${label}: delivered after stop`);
  const at = indexIn(committed, sub.cursor);
  const received = [...feed.history, ...sub.live];
  const positions = received.map((e) => indexIn(committed, e.id));
  positions.forEach((p, i) => {
    assert.ok(p >= 0, `${label}: received ${received[i]!.id}, which was never committed`);
    assert.deepEqual(view(received[i]!), view(committed[p]!), `${label}: event ${p} altered`);
    assert.ok(p > at, `${label}: received ${received[i]!.id}, at or before its cursor`);
    if (i > 0) {
      assert.ok(p > positions[i - 1]!, `${label}: out of order or twice at ${i}: ${positions}`);
    }
  });
  if (at < 0 && sub.cursor !== undefined) {
    assert.equal(feed.placed, false, `${label}: a foreign or junk id was placed`);
  }
  const end = endOf(run, sub, received, 0);
  tallySub(run, sub, at, received);
  if (!sub.overlap) {
    // Never misses what was retained after its cursor when it subscribed.
    const retained = sub.retainedAtCall!.filter((e) => indexIn(committed, e.id) > at);
    assert.deepEqual(views(feed.history), views(retained), `${label}: history = retained after`);
  }
  // Then live: a store that hands events over inside commit delivers every one, in a row (a
  // subscription racing one command may have that command's event in its history); any other
  // store may lose to retention what a lagging subscriber had not read yet, but nothing kept.
  const later = committed.slice(sub.overlap ? sub.countAtResolve : sub.countAtCall, end);
  if (run.synchronousDelivery) {
    const tail = received.slice(Math.max(0, received.length - later.length));
    assert.deepEqual(views(tail), views(later), `${label}: live = everything committed since`);
    if (!sub.overlap) assert.equal(sub.live.length, later.length, `${label}: live count`);
  } else {
    const got = new Set(received.map((e) => e.id));
    for (const e of later.filter((e) => kept.has(e.id))) {
      assert.ok(got.has(e.id), `${label}: missed ${e.type} ${e.id}, which is still retained`);
    }
  }
  const doneAt = committed.findIndex((e) => e.type === 'done');
  // Unless its cursor already was at done (then it gets nothing, having seen it).
  if (doneAt > at && doneAt < end) {
    assert.equal(received.at(-1)?.type, 'done', `${label}: done last`);
  }
}

/** What retention keeps of a job: a subsequence, bounded, with the latest progress and done. */
async function checkRetention(run: Run, job: number): Promise<void> {
  const committed = run.committed[job]!;
  const feed = await run.store.follow(run.records[job]!.id, undefined, () => {});
  feed.stop();
  const kept = feed.history;
  const positions = kept.map((e) => indexIn(committed, e.id));
  assert.ok(
    positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)),
    `job ${job}: the retained log is a subsequence of the committed one`,
  );
  kept.forEach((e, i) => assert.deepEqual(view(e), view(committed[positions[i]!]!)));
  const keep = (e: StoredEvent) => e.type === 'status' || e.type === 'done';
  const latestProgress = committed.filter((e) => e.type === 'progress').at(-1);
  const mustKeep = committed.filter(keep).length + (latestProgress ? 1 : 0);
  assert.ok(
    kept.length <= Math.max(run.bound, mustKeep),
    `job ${job}: ${kept.length} events retained, bound ${run.bound}`,
  );
  assert.ok(
    kept.length >= Math.min(run.bound, committed.length),
    `job ${job}: only ${kept.length} of ${committed.length} events retained, bound ${run.bound}`,
  );
  if (latestProgress) {
    assert.ok(
      kept.some((e) => e.id === latestProgress.id),
      `job ${job}: latest progress kept`,
    );
  }
  // Oldest first: every dropped progress or log is older than every kept one (but the latest
  // progress, which is kept whatever its age).
  const droppable = (e: StoredEvent) =>
    (e.type === 'progress' || e.type === 'log') && e.id !== latestProgress?.id;
  const keptIds = new Set(kept.map((e) => e.id));
  const newestDropped = committed.findLastIndex((e) => droppable(e) && !keptIds.has(e.id));
  const oldestKept = committed.findIndex((e) => droppable(e) && keptIds.has(e.id));
  assert.ok(
    oldestKept < 0 || newestDropped < oldestKept,
    `job ${job}: dropped event ${newestDropped} is newer than kept event ${oldestKept}`,
  );
  if (run.finished[job]) {
    assert.equal(kept.at(-1)?.id, committed.at(-1)?.id, `job ${job}: done kept, last`);
  }
  for (const e of committed.filter(keep)) {
    assert.ok(
      kept.some((k) => k.id === e.id),
      `job ${job}: ${e.type} ${e.id} dropped`,
    );
  }
  assert.equal(feed.ended, run.finished[job]);
}

async function runCommands(
  store: JobStore,
  bound: number,
  commands: Command[],
  settings: Required<Pick<EventLogOptions, 'deliveryTimeoutMs' | 'synchronousDelivery'>>,
  tally: Tally,
): Promise<void> {
  const records = Array.from({ length: JOBS }, () => jobRecord({ status: 'running' }));
  const decoy = jobRecord({ status: 'running' });
  for (const record of [...records, decoy]) {
    assert.equal((await store.insert(record)).outcome, 'created');
  }
  const decoyIds: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const e = await store.commit(decoy, { type: 'progress', data: JSON.stringify({ i }) });
    decoyIds.push(e!.id);
  }
  const run: Run = {
    store,
    bound,
    records,
    committed: records.map(() => []),
    inputs: records.map(() => []),
    finished: records.map(() => false),
    decoyIds,
    subs: [],
    serial: 0,
    ...settings,
    tally,
  };
  count(tally, 'cases');
  try {
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      if (command.op === 'subscribe' && command.overlap) {
        // The next command runs while this follow is in flight.
        const sub = await subscribe(
          run,
          command.job,
          cursorFor(run, command.job, command.cursor),
          true,
        );
        const next = commands[i + 1];
        if (next) {
          i++;
          await Promise.all([sub.ready, execute(run, next)]);
        }
        await sub.ready;
      } else {
        await execute(run, command);
      }
    }
    await settle(run);
    for (const [job, record] of run.records.entries()) {
      const stored = await store.get(record.id);
      assert.equal(stored?.status, record.status, `job ${job}: the stored record is the last one`);
    }
    const kept = await Promise.all(run.records.map((_r, job) => retainedIds(run, job)));
    for (const sub of run.subs) {
      if (bound >= UNBOUNDED) checkExact(run, sub);
      else checkRetained(run, sub, kept[sub.job]!);
    }
    for (let job = 0; job < JOBS; job++) {
      if (bound >= UNBOUNDED) {
        const feed = await store.follow(run.records[job]!.id, undefined, () => {});
        feed.stop();
        assert.deepEqual(views(feed.history), views(run.committed[job]!), `job ${job}: full log`);
      } else {
        await checkRetention(run, job);
      }
    }
  } finally {
    for (const sub of run.subs) sub.feed?.stop();
  }
}

const envInt = (name: string): number | undefined =>
  process.env[name] ? Number(process.env[name]) : undefined;

/**
 * fast-check settings: a fixed seed per property unless FC_SEED asks for another; a time limit
 * that only bounds shrinking after a failure (a passing run takes a few seconds).
 */
function params<T>(seed: number, numRuns: number): fc.Parameters<T> {
  const path = process.env.FC_PATH;
  return {
    numRuns: envInt('FC_RUNS') ?? numRuns,
    plugins: [fc.interruptAfterTimeLimit(40_000)],
    seed: envInt('FC_SEED') ?? seed,
    includeErrorInReport: true,
    ...(path ? { path } : {}),
  };
}

export interface EventLogOptions {
  /** Cases per property (default 400; FC_RUNS overrides). */
  numRuns?: number;
  /** How long to wait for live delivery before failing (default 5 s). */
  deliveryTimeoutMs?: number;
  /**
   * The store hands live events to its followers inside `commit` (the memory store does), so a
   * follower gets every event committed while it follows, even one retention drops at once.
   * Otherwise (default) retention may take events a lagging follower had not read yet.
   */
  synchronousDelivery?: boolean;
}

/**
 * The event-log properties, for any JobStore. `makeStore` gets the per-job event bound; the
 * suite closes each store it makes.
 */
export function eventLogProperties(
  name: string,
  makeStore: StoreFactory,
  options: EventLogOptions = {},
): void {
  const numRuns = options.numRuns ?? 400;
  const settings = {
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5_000,
    synchronousDelivery: options.synchronousDelivery ?? false,
  };
  const commands = fc.array(commandArb, { maxLength: 60, size: 'medium' });

  describe(`event log properties: ${name}`, () => {
    test('retention off: every subscriber gets exactly the log after its cursor, live with no gap or duplicate; nothing after stop or done', async (t) => {
      const tally: Tally = {};
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const store = await makeStore({ maxEventsPerJob: UNBOUNDED });
          try {
            await runCommands(store, UNBOUNDED, cmds, settings, tally);
          } finally {
            await store.close();
          }
        }),
        params<[Command[]]>(0x5eed01, numRuns),
      );
      t.diagnostic(JSON.stringify(tally));
    });

    test('small retention: no duplicate, strictly in order, done last, nothing retained is missed', async (t) => {
      const tally: Tally = {};
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 6 }), commands, async (bound, cmds) => {
          const store = await makeStore({ maxEventsPerJob: bound });
          try {
            await runCommands(store, bound, cmds, settings, tally);
          } finally {
            await store.close();
          }
        }),
        params<[number, Command[]]>(0x5eed02, numRuns),
      );
      t.diagnostic(JSON.stringify(tally));
    });
  });
}

// The memory store hands live events over inside `commit`, so a delivery wait never really waits.
// (A Redis store's test may import eventLogProperties from here; that also runs this suite.)
eventLogProperties(
  'memory',
  async ({ maxEventsPerJob }) =>
    new MemoryStore({
      retentionMs: 60_000,
      maxJobs: 1000,
      maxEventsPerJob,
      format: apiEventFormat,
    }),
  { deliveryTimeoutMs: 1_000, synchronousDelivery: true },
);
