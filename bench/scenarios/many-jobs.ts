/**
 * 3. Many jobs at once on one upstream: `jobs` concurrent `quick` jobs of `events` progress
 * events each. Variant A: every job POSTed at once, each followed by its own SSE stream as soon
 * as its 202 arrives. Variant B: jobs POSTed in groups, each group followed by one multi-job
 * stream GET /v1/events?job=..&job=.. once the group's POSTs are answered.
 * Figures: jobs per second (first POST sent → last `done` received) and the time from a job's
 * POST to its first progress event.
 */
import { performance } from 'node:perf_hooks';
import { StreamCheck, totals, type StreamFigures } from '../lib/check.js';
import { requestJson, resetAgent, startJob } from '../lib/http.js';
import { readTcpCounters, tcpDelta } from '../lib/netstat.js';
import { openRawSse, type LiteEvent } from '../lib/lite-sse.js';
import { startGateway } from '../lib/processes.js';
import { check, Figures, type Check, type ScenarioResult } from '../lib/report.js';
import { summarize, type Summary } from '../lib/stats.js';
import type { Context } from './context.js';

interface JobOutcome {
  id: string;
  postSentAt: number;
  /** When the 202 arrived. */
  postReceivedAt: number;
  firstProgressAt: number;
  doneAt: number;
  figures: StreamFigures;
}

interface VariantResult {
  jobsPerSec: number;
  firstEvent: ReturnType<typeof summarize>;
  post: ReturnType<typeof summarize>;
  outcomes: JobOutcome[];
  wallMs: number;
  /** SSE body bytes received per event (the multi-job stream's ids carry every job's cursor). */
  bytesPerEvent: number;
}

interface Traffic {
  bytes: number;
  events: number;
}

function variantResult(t0: number, outcomes: JobOutcome[], traffic: Traffic): VariantResult {
  const lastDone = Math.max(...outcomes.map((o) => o.doneAt));
  return {
    bytesPerEvent: traffic.bytes / traffic.events,
    wallMs: lastDone - t0,
    jobsPerSec: (outcomes.length / (lastDone - t0)) * 1000,
    firstEvent: summarize(outcomes.map((o) => o.firstProgressAt - o.postSentAt)),
    post: summarize(outcomes.map((o) => o.postReceivedAt - o.postSentAt)),
    outcomes,
  };
}

/** Variant A: one stream per job. */
async function perJobStreams(port: number, jobs: number, events: number): Promise<VariantResult> {
  const t0 = performance.timeOrigin + performance.now();
  const traffic: Traffic = { bytes: 0, events: 0 };
  const outcomes = await Promise.all(
    Array.from({ length: jobs }, async (): Promise<JobOutcome> => {
      const post = await startJob(port, 'quick', { events });
      const stream = new StreamCheck(events);
      let firstProgressAt = Number.NaN;
      let doneAt = Number.NaN;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('job stream did not end')), 120_000);
        const sse = openRawSse({
          port,
          path: `/v1/jobs/${post.body.id}/events`,
          onEvent(event, at) {
            traffic.events++;
            if (stream.onEvent(event) && Number.isNaN(firstProgressAt)) firstProgressAt = at;
            if (event.event === 'done') doneAt = at;
          },
          onClose() {
            traffic.bytes += sse.parser.bodyBytes;
            clearTimeout(timer);
            resolve();
          },
        });
      });
      return {
        id: post.body.id,
        postSentAt: post.sentAt,
        postReceivedAt: post.receivedAt,
        firstProgressAt,
        doneAt,
        figures: stream.figures(),
      };
    }),
  );
  return variantResult(t0, outcomes, traffic);
}

/** Variant B: groups of `group` jobs, one multi-job stream per group. */
async function groupedStreams(
  port: number,
  jobs: number,
  events: number,
  group: number,
): Promise<VariantResult & { streamsEndedCleanly: boolean }> {
  const t0 = performance.timeOrigin + performance.now();
  const traffic: Traffic = { bytes: 0, events: 0 };
  let endedCleanly = true;
  const groups = Array.from({ length: Math.ceil(jobs / group) }, (_v, g) =>
    Math.min(group, jobs - g * group),
  );
  const perGroup = await Promise.all(
    groups.map(async (size): Promise<JobOutcome[]> => {
      const posts = await Promise.all(
        Array.from({ length: size }, () => startJob(port, 'quick', { events })),
      );
      const byId = new Map(
        posts.map((p) => [
          p.body.id,
          {
            id: p.body.id as string,
            postSentAt: p.sentAt,
            postReceivedAt: p.receivedAt,
            firstProgressAt: Number.NaN,
            doneAt: Number.NaN,
            stream: new StreamCheck(events),
          },
        ]),
      );
      const query = posts.map((p) => `job=${p.body.id}`).join('&');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('multi-job stream did not end')), 120_000);
        const sse = openRawSse({
          port,
          path: `/v1/events?${query}`,
          onEvent(event: LiteEvent, at) {
            traffic.events++;
            const jobId = (JSON.parse(event.data) as { jobId?: string }).jobId;
            const job = jobId === undefined ? undefined : byId.get(jobId);
            if (!job) {
              endedCleanly = false;
              return;
            }
            if (job.stream.onEvent(event) && Number.isNaN(job.firstProgressAt)) {
              job.firstProgressAt = at;
            }
            if (event.event === 'done') job.doneAt = at;
          },
          onClose(hadBodyEnd) {
            traffic.bytes += sse.parser.bodyBytes;
            if (!hadBodyEnd) endedCleanly = false;
            clearTimeout(timer);
            resolve();
          },
        });
      });
      return [...byId.values()].map((j) => ({
        id: j.id,
        postSentAt: j.postSentAt,
        postReceivedAt: j.postReceivedAt,
        firstProgressAt: j.firstProgressAt,
        doneAt: j.doneAt,
        figures: j.stream.figures(),
      }));
    }),
  );
  return { ...variantResult(t0, perGroup.flat(), traffic), streamsEndedCleanly: endedCleanly };
}

/**
 * Where the time went, from the jobs' own timestamps (GET /v1/jobs/{id}, millisecond ISO times):
 * POST sent → job created, created → finished (the upstream call), finished → first event seen.
 */
async function timeline(port: number, outcomes: JobOutcome[]): Promise<Record<string, Summary>> {
  const created: number[] = [];
  const ran: number[] = [];
  const firstAfterFinish: number[] = [];
  for (let i = 0; i < outcomes.length; i += 50) {
    const batch = outcomes.slice(i, i + 50);
    const records = await Promise.all(
      batch.map((o) =>
        requestJson<{ createdAt: string; finishedAt: string | null }>(
          port,
          'GET',
          `/v1/jobs/${o.id}`,
        ),
      ),
    );
    records.forEach(({ body }, j) => {
      const o = batch[j]!;
      const createdAt = Date.parse(body.createdAt);
      const finishedAt = body.finishedAt ? Date.parse(body.finishedAt) : Number.NaN;
      created.push(createdAt - o.postSentAt);
      ran.push(finishedAt - createdAt);
      firstAfterFinish.push(o.firstProgressAt - finishedAt);
    });
  }
  return {
    postSentToCreated: summarize(created),
    createdToFinished: summarize(ran),
    finishedToFirstEventSeen: summarize(firstAfterFinish),
  };
}

function outcomeCheck(label: string, jobs: number, outcomes: JobOutcome[]): Check {
  const sum = totals(outcomes.map((o) => o.figures));
  return check(
    `${label}: ${jobs} jobs, each with progress 1..N in order, ids, done succeeded`,
    outcomes.length === jobs &&
      sum.missing === 0 &&
      sum.outOfOrder === 0 &&
      sum.missingIds === 0 &&
      sum.withoutSnapshot === 0 &&
      sum.withoutDone === 0 &&
      sum.notSucceeded === 0 &&
      sum.afterDone === 0,
    JSON.stringify(sum),
  );
}

export async function manyJobsScenario(ctx: Context): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { jobs, events, group, warmup } = ctx.sizes.manyJobs;
  const figures = new Figures();
  const details: unknown[] = [];
  const checks: Check[] = [];
  const gateway = await startGateway({
    kind: 'main',
    env: { MAX_JOBS: String(Math.max(10_000, jobs * (ctx.runs + 1) * 2 + 100)) },
  });
  try {
    await perJobStreams(gateway.port, warmup, events);
    await groupedStreams(gateway.port, warmup, events, group);
    for (let run = 0; run < ctx.runs; run++) {
      const cpu0 = gateway.cpu();
      const tcp0 = readTcpCounters();
      // Every variant starts with no pooled connection: 500 jobs from 500 fresh clients.
      resetAgent();
      const elu0 = performance.eventLoopUtilization();
      const a = await perJobStreams(gateway.port, jobs, events);
      const clientElu = performance.eventLoopUtilization(elu0).utilization;
      const cpu1 = gateway.cpu();
      const tcp1 = readTcpCounters();
      resetAgent();
      const b = await groupedStreams(gateway.port, jobs, events, group);
      const cpu2 = gateway.cpu();
      const tcp2 = readTcpCounters();
      const aTcp = tcpDelta(tcp0, tcp1);
      const bTcp = tcpDelta(tcp1, tcp2);
      const aTimeline = await timeline(gateway.port, a.outcomes);
      const bTimeline = await timeline(gateway.port, b.outcomes);
      figures.add('perJobRate', 'one stream per job: jobs/s', 'jobs/s', a.jobsPerSec);
      figures.add(
        'perJobFirstP50',
        'one stream per job: POST → first event, p50',
        'ms',
        a.firstEvent.p50,
      );
      figures.add(
        'perJobFirstP99',
        'one stream per job: POST → first event, p99',
        'ms',
        a.firstEvent.p99,
      );
      figures.add('perJobPostP50', 'one stream per job: POST round trip, p50', 'ms', a.post.p50);
      figures.add('perJobPostP99', 'one stream per job: POST round trip, p99', 'ms', a.post.p99);
      figures.add(
        'perJobListenDrops',
        'one stream per job: connections dropped by a full listen queue (machine-wide)',
        '',
        aTcp.ListenDrops,
      );
      figures.add('perJobBytes', 'one stream per job: bytes per event', 'B', a.bytesPerEvent);
      figures.add('groupRate', `multi-job streams of ${group}: jobs/s`, 'jobs/s', b.jobsPerSec);
      figures.add(
        'groupFirstP50',
        `multi-job streams of ${group}: POST → first event, p50`,
        'ms',
        b.firstEvent.p50,
      );
      figures.add(
        'groupFirstP99',
        `multi-job streams of ${group}: POST → first event, p99`,
        'ms',
        b.firstEvent.p99,
      );
      figures.add(
        'groupBytes',
        `multi-job streams of ${group}: bytes per event`,
        'B',
        b.bytesPerEvent,
      );
      checks.push(outcomeCheck(`run ${run + 1} per-job streams`, jobs, a.outcomes));
      checks.push(outcomeCheck(`run ${run + 1} multi-job streams`, jobs, b.outcomes));
      checks.push(
        check(`run ${run + 1} multi-job streams ended after the last done`, b.streamsEndedCleanly),
      );
      details.push({
        run,
        jobs,
        events,
        perJob: {
          jobsPerSec: a.jobsPerSec,
          wallMs: a.wallMs,
          firstEvent: a.firstEvent,
          post: a.post,
          timeline: aTimeline,
          tcp: aTcp,
          clientElu,
          gatewayCpuS: cpu1.gateway - cpu0.gateway,
          upstreamCpuS: cpu1.upstream - cpu0.upstream,
        },
        grouped: {
          jobsPerSec: b.jobsPerSec,
          wallMs: b.wallMs,
          firstEvent: b.firstEvent,
          post: b.post,
          timeline: bTimeline,
          tcp: bTcp,
          gatewayCpuS: cpu2.gateway - cpu1.gateway,
          upstreamCpuS: cpu2.upstream - cpu1.upstream,
        },
      });
      ctx.log(
        `many-jobs run ${run + 1}: per-job ${a.jobsPerSec.toFixed(0)} jobs/s (POST p50 ${a.post.p50.toFixed(0)} ms, first event p50 ${a.firstEvent.p50.toFixed(0)} p99 ${a.firstEvent.p99.toFixed(0)} ms; job created→finished p50 ${aTimeline.createdToFinished!.p50.toFixed(0)} ms, finished→first event seen p50 ${aTimeline.finishedToFirstEventSeen!.p50.toFixed(0)} ms; listen drops ${aTcp.ListenDrops}; gateway CPU ${(cpu1.gateway - cpu0.gateway).toFixed(2)} s, client busy ${(clientElu * 100).toFixed(0)}%), grouped ${b.jobsPerSec.toFixed(0)} jobs/s (p99 ${b.firstEvent.p99.toFixed(0)} ms)`,
      );
    }
  } finally {
    await gateway.close();
  }
  return {
    id: 3,
    name: 'many-jobs',
    title: `${jobs} concurrent quick jobs (${events} events each) on one upstream`,
    metrics: figures.metrics(),
    checks,
    notes: [
      'All POSTs are sent at once over keep-alive connections (no client-side limit); in the grouped variant a group waits for its POSTs before opening its stream, so its first-event time includes the slowest POST of its group.',
    ],
    details,
  };
}
