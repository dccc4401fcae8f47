/**
 * RunSlots, the waiting logic behind the running caps: examples of its fairness, and a
 * property-based check of its invariants over random sequences of claims and releases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RunSlots, type SlotLimits } from '../../src/jobs/run-slots.js';

/** Claims and activates at once, recording the order in which jobs are let run. */
function harness(limits: SlotLimits) {
  const slots = new RunSlots(limits);
  const started: string[] = [];
  return {
    slots,
    started,
    start(id: string, owner: string | null, upstream: string) {
      const outcome = slots.claim(id, owner, upstream);
      if (outcome !== 'full') slots.activate(id, () => started.push(id));
      return outcome;
    },
  };
}

test('keys take turns; one key’s jobs on one upstream keep their order', () => {
  const h = harness({ maxRunningPerKey: 10, maxRunningPerUpstream: 1, maxQueuedPerKey: 10 });
  assert.equal(h.start('x', 'a', 'u'), 'granted');
  for (const [id, owner] of [
    ['a1', 'a'],
    ['a2', 'a'],
    ['b1', 'b'],
    ['c1', 'c'],
    ['b2', 'b'],
  ] as const) {
    assert.equal(h.start(id, owner, 'u'), 'queued');
  }
  for (const id of ['x', 'a1', 'b1', 'c1', 'a2']) h.slots.release(id);
  assert.deepEqual(h.started, ['x', 'a1', 'b1', 'c1', 'a2', 'b2']);
});

test('a job for a free upstream does not wait behind its key’s jobs for a busy one', () => {
  const h = harness({ maxRunningPerKey: 10, maxRunningPerUpstream: 1, maxQueuedPerKey: 10 });
  h.start('busy', 'a', 'u');
  assert.equal(h.start('waits', 'a', 'u'), 'queued');
  assert.equal(h.start('free', 'a', 'v'), 'granted');
});

test('the queue bound counts waiting jobs only; close forgets the waiting ones', () => {
  const h = harness({ maxRunningPerKey: 1, maxRunningPerUpstream: 10, maxQueuedPerKey: 1 });
  assert.equal(h.start('r', null, 'u'), 'granted');
  assert.equal(h.start('q', null, 'u'), 'queued');
  assert.equal(h.start('over', null, 'u'), 'full');
  assert.equal(h.slots.isWaiting('over'), false);
  assert.equal(h.start('other-key', 'k', 'u'), 'granted');
  assert.deepEqual(h.slots.close(), ['q']);
  h.slots.release('r');
  assert.deepEqual(h.started, ['r', 'other-key'], 'nothing starts after close');
});

test('a place granted before the job is stored waits for activate', () => {
  const slots = new RunSlots({ maxRunningPerKey: 1, maxRunningPerUpstream: 1, maxQueuedPerKey: 5 });
  assert.equal(slots.claim('a', 'k', 'u'), 'granted');
  assert.equal(slots.claim('b', 'k', 'u'), 'queued');
  slots.release('a');
  // b holds the place now, though nobody has activated it yet.
  assert.equal(slots.isWaiting('b'), false);
  assert.equal(slots.claim('c', 'k', 'u'), 'queued');
  let ran = 0;
  slots.activate('b', () => ran++);
  assert.equal(ran, 1);
});

type Op =
  | { kind: 'claim'; owner: string | null; upstream: string; activate: boolean }
  | { kind: 'activate'; pick: number }
  | { kind: 'release'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      owner: fc.constantFrom('a', 'b', 'c', null),
      upstream: fc.constantFrom('u1', 'u2', 'u3'),
      activate: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('activate' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
);

let propertyCases = 0;

test('property: caps hold, nothing waits that could run, per-key-upstream FIFO, one start each', () => {
  fc.assert(
    fc.property(
      fc.record({
        maxRunningPerKey: fc.integer({ min: 1, max: 3 }),
        maxRunningPerUpstream: fc.integer({ min: 1, max: 3 }),
        maxQueuedPerKey: fc.integer({ min: 0, max: 4 }),
      }),
      fc.array(opArb, { maxLength: 80 }),
      (limits, ops) => {
        propertyCases++;
        const slots = new RunSlots(limits);
        interface Job {
          id: string;
          key: string;
          upstream: string;
          seq: number;
          granted: boolean;
          activated: boolean;
          starts: number;
        }
        const live: Job[] = [];
        const grantOrder: Job[] = [];
        let seq = 0;
        const waiting = () => live.filter((j) => slots.isWaiting(j.id));
        const holding = () => live.filter((j) => !slots.isWaiting(j.id));
        const activate = (job: Job) => {
          job.activated = true;
          slots.activate(job.id, () => job.starts++);
        };
        for (const op of ops) {
          if (op.kind === 'claim') {
            const job: Job = {
              id: `j${seq}`,
              key: op.owner ?? '',
              upstream: op.upstream,
              seq: seq++,
              granted: false,
              activated: false,
              starts: 0,
            };
            const before = waiting().filter((j) => j.key === job.key).length;
            const outcome = slots.claim(job.id, op.owner, op.upstream);
            if (outcome === 'full') {
              assert.equal(before, limits.maxQueuedPerKey, 'full only at the bound');
              continue;
            }
            live.push(job);
            if (op.activate) activate(job);
          } else if (live.length > 0) {
            const job = live[op.pick % live.length]!;
            if (op.kind === 'activate' && !job.activated) activate(job);
            if (op.kind === 'release') {
              slots.release(job.id);
              live.splice(live.indexOf(job), 1);
            }
          }
          for (const job of holding()) {
            if (!job.granted) {
              job.granted = true;
              grantOrder.push(job);
            }
          }
          // Caps, bound, work conservation, and exactly one start per activated holder.
          const count = (jobs: Job[], f: (j: Job) => string, v: string) =>
            jobs.filter((j) => f(j) === v).length;
          const held = holding();
          for (const job of held) {
            assert.ok(count(held, (j) => j.key, job.key) <= limits.maxRunningPerKey);
            assert.ok(count(held, (j) => j.upstream, job.upstream) <= limits.maxRunningPerUpstream);
            assert.equal(job.starts, job.activated ? 1 : 0, `${job.id} started once`);
          }
          for (const job of waiting()) {
            assert.equal(job.starts, 0);
            assert.ok(count(waiting(), (j) => j.key, job.key) <= limits.maxQueuedPerKey);
            const keyFull = count(held, (j) => j.key, job.key) >= limits.maxRunningPerKey;
            const upstreamFull =
              count(held, (j) => j.upstream, job.upstream) >= limits.maxRunningPerUpstream;
            assert.ok(keyFull || upstreamFull, `${job.id} waits though it could run`);
          }
        }
        // Within one key and upstream, places were given in the order of the claims.
        const groups = new Map<string, number[]>();
        for (const job of grantOrder) {
          const group = `${job.key}/${job.upstream}`;
          groups.set(group, [...(groups.get(group) ?? []), job.seq]);
        }
        for (const [group, seqs] of groups) {
          assert.deepEqual(
            seqs,
            [...seqs].sort((x, y) => x - y),
            `FIFO in ${group}`,
          );
        }
      },
    ),
    { numRuns: 500, seed: 0x5107 },
  );
});

test('property case count', (t) => {
  t.diagnostic(`run-slots property cases: ${propertyCases}`);
  assert.ok(propertyCases >= 500);
});
