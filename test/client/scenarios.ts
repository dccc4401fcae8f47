/**
 * The client scenarios, written once and run twice: in Node (client.test.ts) and in headless
 * Chromium (browser.test.ts, bundled with the client by esbuild). A scenario only uses what its
 * environment hands it (the GatewayClient class, the gateways' URLs, hooks that act on the
 * gateway) and returns plain JSON, which checks.ts asserts on in Node.
 */
import type { GatewayClient as GatewayClientClass } from '../../src/client/index.js';
import type { FetchLike, Job } from '../../src/client/types.js';

export interface ScenarioEnv {
  GatewayClient: typeof GatewayClientClass;
  /** Base URLs: `main` (fixture upstream), `rotating` (streams end after 1 s), `auth` (API keys). */
  urls: { main: string; rotating: string; auth: string };
  /** A valid API key of the `auth` gateway. */
  apiKey: string;
  /** Destroys every connection to the `rotating` gateway: streams are cut mid-job. */
  cut(): Promise<void>;
  /** Ends every event stream of the `rotating` gateway cleanly, without `done`. */
  endStreams(): Promise<void>;
}

/** What a scenario reports of a rejection. */
export interface ErrorInfo {
  name: string;
  message: string;
  isGatewayClientError: boolean;
  code: string | null;
  status: number | null;
  jobId: string | null;
  jobStatus: string | null;
  jobErrorCode: string | null;
  result: unknown;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** Stands for `undefined` in results, which must survive JSON. */
export const UNDEFINED = '(undefined)';
const mark = <T>(value: T | undefined): T | typeof UNDEFINED =>
  value === undefined ? UNDEFINED : value;

function errorInfo(error: unknown): ErrorInfo {
  const e = error as Record<string, unknown> & Error;
  const job = e?.job as Job | undefined;
  return {
    name: String(e?.name),
    message: String(e?.message),
    isGatewayClientError: error instanceof Error && 'code' in error && 'job' in error,
    code: typeof e?.code === 'string' ? e.code : null,
    status: typeof e?.status === 'number' ? e.status : null,
    jobId: job?.id ?? null,
    jobStatus: job?.status ?? null,
    jobErrorCode: job?.error?.code ?? null,
    result: e?.result ?? null,
  };
}

async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: errorInfo(error) };
  }
}

type Call = { progress: number; total: number | string; message: string | string };
const progressRecorder = () => {
  const calls: Call[] = [];
  const handler = (progress: number, total: number | undefined, message: string | undefined) =>
    void calls.push({ progress, total: mark(total), message: mark(message) });
  return { calls, handler };
};

export const scenarios = {
  /** The client's progress handler receives (progress, total, message) of every step. */
  async clientHandler(env: ScenarioEnv) {
    const { calls, handler } = progressRecorder();
    const client = new env.GatewayClient(env.urls.main, { progressHandler: handler });
    const result = await outcome(client.callTool('fixture', 'slow', { steps: 3, intervalMs: 10 }));
    return { calls, result };
  },

  /** A per-call handler replaces the client's; without a total, total is undefined. */
  async perCallHandler(env: ScenarioEnv) {
    const clientLevel = progressRecorder();
    const perCall = progressRecorder();
    const percents: Array<number | null> = [];
    const client = new env.GatewayClient(env.urls.main, { progressHandler: clientLevel.handler });
    const result = await outcome(
      client.callTool(
        'fixture',
        'slow',
        { steps: 3, intervalMs: 10, withTotal: false },
        {
          progressHandler: (progress, total, message, detail) => {
            perCall.handler(progress, total, message);
            percents.push(detail.percent);
          },
        },
      ),
    );
    return { clientCalls: clientLevel.calls, perCallCalls: perCall.calls, percents, result };
  },

  /** A result with structured content comes back as the CallToolResult. */
  async result(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return outcome(client.callTool('fixture', 'echo', { a: 1, b: ['x'] }));
  },

  /** An `isError: true` result rejects with TOOL_ERROR and carries the result. */
  async toolError(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return outcome(client.callTool('fixture', 'tool_error', { text: 'nope' }));
  },

  /** A JSON-RPC error from the upstream rejects with UPSTREAM_ERROR. */
  async upstreamError(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return outcome(client.callTool('fixture', 'throw', { message: 'kaput' }));
  },

  /** HTTP problems reject with the problem's code and status. */
  async httpErrors(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return {
      unknownServer: await outcome(client.callTool('nosuch', 'slow', {})),
      unknownTool: await outcome(client.callTool('fixture', 'nosuch', {})),
      unknownJob: await outcome(client.getJob('nosuch')),
      badOptions: await outcome(client.callTool('fixture', 'slow', {}, { timeoutMs: 0.5 })),
    };
  },

  /** The gateway's deadlines are passed through and fail the call with their codes. */
  async deadlines(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return {
      idle: await outcome(
        client.callTool('fixture', 'silent', { ms: 60_000 }, { idleTimeoutMs: 100 }),
      ),
      hard: await outcome(
        client.callTool('fixture', 'slow', { steps: 1000, intervalMs: 20 }, { timeoutMs: 200 }),
      ),
    };
  },

  /** Aborting the signal cancels the job on the gateway and rejects with an AbortError. */
  async abort(env: ScenarioEnv) {
    const controller = new AbortController();
    let jobId: string | null = null;
    let progressCalls = 0;
    const client = new env.GatewayClient(env.urls.main);
    const result = await outcome(
      client.callTool(
        'fixture',
        'honour_cancel',
        { intervalMs: 20 },
        {
          signal: controller.signal,
          onStart: (job) => (jobId = job.id),
          progressHandler: () => {
            if (++progressCalls === 2) controller.abort(new Error('user gave up'));
          },
        },
      ),
    );
    const callsAtRejection = progressCalls;
    // Already aborted: rejects at once, without starting a job.
    const early = await outcome(
      client.callTool('fixture', 'slow', {}, { signal: controller.signal }),
    );
    const job = jobId ? await client.getJob(jobId) : null;
    return { result, jobId, callsAtRejection, progressCalls, early, job };
  },

  /** A job cancelled by someone else rejects with CANCELLED (not an AbortError). */
  async cancelledElsewhere(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    let jobId: string | undefined;
    let cancelling: Promise<Outcome<Job>> | undefined;
    const result = await outcome(
      client.callTool(
        'fixture',
        'honour_cancel',
        { intervalMs: 20 },
        {
          onStart: (job) => (jobId = job.id),
          progressHandler: () => {
            if (!cancelling && jobId) cancelling = outcome(client.cancel(jobId));
          },
        },
      ),
    );
    const cancelled = cancelling ? await cancelling : null;
    const cancelAgain = jobId ? await outcome(client.cancel(jobId)) : null;
    return { result, cancelled, cancelAgain };
  },

  /**
   * A job longer than the gateway's stream age, with its connections also destroyed and its
   * stream ended cleanly mid-job: every progress arrives once, in order, and every reconnection
   * resumes with Last-Event-ID.
   */
  async resumeAfterCut(env: ScenarioEnv) {
    const connections: Array<{ lastEventId: string | null }> = [];
    const countingFetch: FetchLike = (input, init) => {
      if (input.includes('/events')) {
        const headers = (init.headers ?? {}) as Record<string, string>;
        connections.push({ lastEventId: headers['last-event-id'] ?? null });
      }
      return globalThis.fetch(input, init);
    };
    const progress: number[] = [];
    const ids: string[] = [];
    const client = new env.GatewayClient(env.urls.rotating, { fetch: countingFetch });
    const hooks: Promise<void>[] = [];
    const result = await outcome(
      client.callTool(
        'fixture',
        'slow',
        { steps: 60, intervalMs: 40 },
        {
          progressHandler: (value) => {
            progress.push(value);
            if (value === 10) hooks.push(env.cut());
            if (value === 25) hooks.push(env.endStreams());
          },
          eventHandler: (event) => ids.push(event.id ?? ''),
        },
      ),
    );
    await Promise.all(hooks);
    return { result, progress, ids, connections };
  },

  /** With API keys on: the right key works, a wrong or missing one is UNAUTHORIZED. */
  async auth(env: ScenarioEnv) {
    const { calls, handler } = progressRecorder();
    const good = new env.GatewayClient(env.urls.auth, {
      apiKey: env.apiKey,
      progressHandler: handler,
    });
    const wrong = new env.GatewayClient(env.urls.auth, { apiKey: 'not-the-key-at-all-0000' });
    const none = new env.GatewayClient(env.urls.auth);
    return {
      calls,
      result: await outcome(good.callTool('fixture', 'slow', { steps: 2, intervalMs: 10 })),
      servers: await outcome(good.listServers().then((servers) => servers.map((s) => s.name))),
      wrongCall: await outcome(wrong.callTool('fixture', 'slow', { steps: 1 })),
      wrongServers: await outcome(wrong.listServers()),
      noKey: await outcome(none.listTools('fixture')),
    };
  },

  /**
   * A client without the key follows a job through the stream token in its links.events (the
   * job handed over by whoever started it); without the token it is refused.
   */
  async streamToken(env: ScenarioEnv) {
    const keyed = new env.GatewayClient(env.urls.auth, { apiKey: env.apiKey });
    const job = await keyed.startJob('fixture', 'slow', { steps: 3, intervalMs: 20 });
    const keyless = new env.GatewayClient(env.urls.auth);
    const { calls, handler } = progressRecorder();
    const watch = keyless.watch(job, { progressHandler: handler });
    const done = await outcome(watch.done);
    const refused = await outcome(keyless.watch(job.id).done);
    return { eventsLink: job.links.events, calls, done, refused };
  },

  /**
   * startJob + watch, closed half-way and reattached from its lastEventId (as after a page
   * reload): the second watch sees exactly the rest. A watch resumed after `done` gets the final
   * job from the 204 path.
   */
  async watchAndReattach(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    const job = await client.startJob('fixture', 'slow', { steps: 8, intervalMs: 30 });
    const first: number[] = [];
    const statuses: string[] = [];
    let saved: string | undefined;
    const watch1 = client.watch(job, {
      statusHandler: (j) => statuses.push(j.status),
      progressHandler: (progress) => {
        first.push(progress);
        if (progress === 3) {
          saved = watch1.lastEventId;
          watch1.close();
        }
      },
    });
    const closed = await outcome(watch1.done);
    const second: number[] = [];
    const statuses2: string[] = [];
    const watch2 = client.watch(job.id, {
      lastEventId: saved,
      progressHandler: (progress) => second.push(progress),
      statusHandler: (j) => statuses2.push(j.status),
    });
    const done = await outcome(watch2.done);
    const third: number[] = [];
    const watch3 = client.watch(job.id, {
      lastEventId: watch2.lastEventId,
      progressHandler: (progress) => third.push(progress),
    });
    const again = await outcome(watch3.done);
    return { first, second, third, statuses, statuses2, closed, done, again };
  },

  /** Log notifications reach the log handler; status changes reach the status handler once. */
  async logsAndStatus(env: ScenarioEnv) {
    const logs: unknown[] = [];
    const statuses: string[] = [];
    const events: string[] = [];
    const client = new env.GatewayClient(env.urls.main, {
      logHandler: (log) => logs.push(log),
      statusHandler: (job) => statuses.push(job.status),
    });
    const result = await outcome(
      client.callTool(
        'fixture',
        'log',
        { count: 3 },
        { eventHandler: (e) => events.push(e.event) },
      ),
    );
    return { result, logs, statuses, events };
  },

  /** A throwing handler does not break the call; its errors go to onHandlerError. */
  async throwingHandler(env: ScenarioEnv) {
    const reported: string[] = [];
    const client = new env.GatewayClient(env.urls.main, {
      progressHandler: (progress) => {
        throw new Error(`handler broke at ${progress}`);
      },
      onHandlerError: (error) => reported.push((error as Error).message),
    });
    const result = await outcome(client.callTool('fixture', 'slow', { steps: 3, intervalMs: 10 }));
    return { result, reported };
  },

  /** listServers and listTools, and their errors. */
  async listing(env: ScenarioEnv) {
    const client = new env.GatewayClient(env.urls.main);
    return {
      servers: await outcome(client.listServers()),
      tools: await outcome(client.listTools('fixture').then((tools) => tools.map((t) => t.name))),
      unknown: await outcome(client.listTools('nosuch')),
      jobs: await outcome(
        client
          .listJobs({ limit: 2 })
          .then((page) => ({ count: page.jobs.length, next: page.next })),
      ),
    };
  },
};

export type ScenarioName = keyof typeof scenarios;
export type ScenarioResult<N extends ScenarioName> = Awaited<ReturnType<(typeof scenarios)[N]>>;
