/**
 * 0. Latency: one `quick` job at a time; the client POSTs /v1/jobs and, as soon as the 202
 * arrives, GETs the job's events. Measured from the moment the POST is sent to the first byte of
 * the events response, to the first `progress` event, and to `done`.
 */
import { StreamCheck, totals, type StreamFigures } from '../lib/check.js';
import { startJob } from '../lib/http.js';
import { openRawSse } from '../lib/lite-sse.js';
import { startGateway } from '../lib/processes.js';
import { check, Figures, type ScenarioResult } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import type { Context } from './context.js';

interface JobTiming {
  postMs: number;
  firstByteMs: number;
  firstProgressMs: number;
  doneMs: number;
  figures: StreamFigures;
}

/** Starts a `quick` job and follows its stream to the end. */
export async function timeQuickJob(port: number, events: number): Promise<JobTiming> {
  const post = await startJob(port, 'quick', { events });
  const t0 = post.sentAt;
  const stream = new StreamCheck(events);
  let firstByte = Number.NaN;
  let firstProgress = Number.NaN;
  let done = Number.NaN;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('quick job stream did not end')), 30_000);
    openRawSse({
      port,
      path: `/v1/jobs/${post.body.id}/events`,
      onFirstByte: (at) => (firstByte = at),
      onEvent(event, at) {
        if (stream.onEvent(event) && Number.isNaN(firstProgress)) firstProgress = at;
        if (event.event === 'done') done = at;
      },
      onClose() {
        clearTimeout(timer);
        resolve();
      },
    });
  });
  return {
    postMs: post.receivedAt - t0,
    firstByteMs: firstByte - t0,
    firstProgressMs: firstProgress - t0,
    doneMs: done - t0,
    figures: stream.figures(),
  };
}

export async function latencyScenario(ctx: Context): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { jobs, events, warmup } = ctx.sizes.latency;
  const figures = new Figures();
  const details: unknown[] = [];
  const all: StreamFigures[] = [];
  const gateway = await startGateway({ kind: 'main' });
  try {
    for (let i = 0; i < warmup; i++) await timeQuickJob(gateway.port, events);
    for (let run = 0; run < ctx.runs; run++) {
      const timings: JobTiming[] = [];
      for (let i = 0; i < jobs; i++) timings.push(await timeQuickJob(gateway.port, events));
      all.push(...timings.map((t) => t.figures));
      const firstByte = summarize(timings.map((t) => t.firstByteMs));
      const firstProgress = summarize(timings.map((t) => t.firstProgressMs));
      const post = summarize(timings.map((t) => t.postMs));
      const done = summarize(timings.map((t) => t.doneMs));
      figures.add('firstByteP50', 'POST sent → first SSE byte, p50', 'ms', firstByte.p50);
      figures.add('firstByteP99', 'POST sent → first SSE byte, p99', 'ms', firstByte.p99);
      figures.add(
        'firstProgressP50',
        'POST sent → first progress event, p50',
        'ms',
        firstProgress.p50,
      );
      figures.add(
        'firstProgressP99',
        'POST sent → first progress event, p99',
        'ms',
        firstProgress.p99,
      );
      figures.add('postP50', 'POST round trip (202 received), p50', 'ms', post.p50);
      figures.add('doneP50', `POST sent → done (${events} events), p50`, 'ms', done.p50);
      details.push({ run, jobs, events, firstByte, firstProgress, post, done });
      ctx.log(
        `latency run ${run + 1}: first byte p50 ${firstByte.p50.toFixed(2)} ms, p99 ${firstByte.p99.toFixed(2)} ms`,
      );
    }
  } finally {
    await gateway.close();
  }
  const sum = totals(all);
  return {
    id: 0,
    name: 'latency',
    title: `POST → first SSE byte of a quick job (${jobs} jobs per run, one at a time)`,
    metrics: figures.metrics(),
    checks: [
      check(
        'every job stream complete and in order',
        sum.missing === 0 &&
          sum.outOfOrder === 0 &&
          sum.withoutDone === 0 &&
          sum.notSucceeded === 0,
        JSON.stringify(sum),
      ),
      check('every logged event has an id', sum.missingIds === 0, JSON.stringify(sum)),
    ],
    notes: [
      'Gateway: node --import tsx src/main.ts (LOG_LEVEL=warn). Client: raw socket GET sent as soon as the 202 arrives; the first byte carries the headers, the retry hint and the status snapshot.',
      'Events per second of one job stream: see scenario 1.',
    ],
    details,
  };
}
