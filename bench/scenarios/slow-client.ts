/**
 * 5. A slow client: a subscriber reads the first events of a `flood`, then stops reading. The
 * gateway must cut it off (its unsent backlog passes SSE_MAX_BACKLOG_BYTES) instead of holding
 * memory for it, and a reconnect with the last id the client parsed must get the rest, losslessly.
 * Gateway memory (after full GCs) is sampled before, during and after the flood, and compared
 * with the same flood with no subscriber at all (the event log itself grows in both).
 */
import { readFileSync } from 'node:fs';
import { StreamCheck } from '../lib/check.js';
import { requestJson, startJob, waitFinal } from '../lib/http.js';
import { Gate } from '../lib/gate.js';
import { nowMs, openRawSse } from '../lib/lite-sse.js';
import { startGateway, type GatewayHandle, type Mem } from '../lib/processes.js';
import { check, Figures, type Check, type ScenarioResult } from '../lib/report.js';
import type { Context } from './context.js';

const MiB = 1024 * 1024;

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** State of the server side of the connection serverPort ↔ clientPort, from /proc/net/tcp. */
function serverSocketState(serverPort: number, clientPort: number): string {
  try {
    const local = `:${serverPort.toString(16).toUpperCase().padStart(4, '0')}`;
    const remote = `:${clientPort.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const [, localAddress, remoteAddress, state] = line.trim().split(/\s+/);
      if (localAddress?.endsWith(local) && remoteAddress?.endsWith(remote)) {
        return TCP_STATES[state ?? ''] ?? state ?? 'unknown';
      }
    }
    return 'gone';
  } catch {
    return 'unknown';
  }
}

interface Sample {
  atMs: number;
  /** Heap after one full GC; NaN for the cheap samples taken in between. */
  heapUsed: number;
  rss: number;
  streams: number;
}

/**
 * Samples the gateway every 100 ms until the job is final: open streams and RSS each time, heap
 * after one full GC every `gcEveryMs` (a GC on every sample would slow the flood down a lot).
 */
async function sampleUntilFinal(
  gateway: GatewayHandle,
  jobId: string,
  t0: number,
  gcEveryMs: number,
  onSample: (sample: Sample) => void = () => {},
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const deadline = Date.now() + 300_000;
  let lastGc = Number.NEGATIVE_INFINITY;
  for (;;) {
    const withGc = nowMs() - lastGc >= gcEveryMs;
    if (withGc) lastGc = nowMs();
    const mem = await gateway.mem(withGc ? 1 : 0);
    const sample = {
      atMs: nowMs() - t0,
      heapUsed: withGc ? mem.heapUsed : Number.NaN,
      rss: mem.rss,
      streams: mem.streams ?? Number.NaN,
    };
    samples.push(sample);
    onSample(sample);
    const { body } = await requestJson<{ status: string }>(
      gateway.port,
      'GET',
      `/v1/jobs/${jobId}`,
    );
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return samples;
    if (Date.now() > deadline) throw new Error('flood did not finish in 5 min');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const maxOf = (values: number[]) => Math.max(...values.filter(Number.isFinite));

async function deleteJob(port: number, id: string): Promise<void> {
  await waitFinal(port, id);
  const deleted = await requestJson(port, 'DELETE', `/v1/jobs/${id}`);
  if (deleted.status !== 204) throw new Error(`DELETE /v1/jobs/${id} answered ${deleted.status}`);
}

/** The same flood with nobody subscribed: how the heap grows from the event log alone. */
async function controlFlood(
  gateway: GatewayHandle,
  count: number,
  pad: number,
): Promise<{ maxHeap: number; ms: number; afterDelete: Mem }> {
  const gate = await new Gate().listen();
  try {
    const control = await startJob(gateway.port, 'flood', { count, pad, gatePort: gate.port });
    await gate.waitFor(1);
    const t0 = nowMs();
    gate.open();
    const samples = await sampleUntilFinal(gateway, control.body.id, t0, 500);
    await deleteJob(gateway.port, control.body.id);
    return {
      maxHeap: maxOf(samples.map((s) => s.heapUsed)),
      ms: samples.at(-1)!.atMs,
      afterDelete: await gateway.mem(),
    };
  } finally {
    await gate.close();
  }
}

interface SlowRun {
  before: Mem;
  duringMaxHeap: number;
  duringMaxRss: number;
  done: Mem;
  afterDelete: Mem;
  /** NaN when the control flood is skipped (smoke mode). */
  controlDuringMaxHeap: number;
  controlFloodMs: number;
  cutOffAtMs: number;
  floodMs: number;
  serverSocketAtCutOff: string;
  /** What the client had read when it stopped reading (it then read nothing until the end). */
  readBeforePause: number;
  receivedBeforeCut: { progress: number; bytes: number; gotDone: boolean; gapFree: boolean };
  resumed: {
    from: number;
    missing: number;
    outOfOrder: number;
    gotDone: boolean;
    doneStatus?: string;
  };
}

async function slowRun(ctx: Context, gateway: GatewayHandle): Promise<SlowRun> {
  const { count, pad, readFirst } = ctx.sizes.slowClient;
  const before = await gateway.mem();
  const gate = await new Gate().listen();
  try {
    const post = await startJob(gateway.port, 'flood', { count, pad, gatePort: gate.port });
    const jobId = post.body.id;
    await gate.waitFor(1);

    // The slow client: reads the snapshot and the first `readFirst` events, then stops reading.
    const slow = new StreamCheck(count);
    let paused = false;
    let readBeforePause = 0;
    let closed = false;
    let onClosed: () => void = () => {};
    let onSnapshot: () => void = () => {};
    const client = openRawSse({
      port: gateway.port,
      path: `/v1/jobs/${jobId}/events`,
      closeOnEnd: false,
      onEvent(event) {
        slow.onEvent(event);
        if (slow.gotSnapshot) onSnapshot();
        if (!paused && slow.next > readFirst) {
          paused = true;
          readBeforePause = slow.next - 1;
          client.socket.pause();
        }
      },
      onBodyEnd: () => client.socket.destroy(),
      onClose() {
        closed = true;
        onClosed();
      },
    });
    await new Promise<void>((resolve) => {
      onSnapshot = resolve;
      if (slow.gotSnapshot) resolve();
    });
    const clientPort = await new Promise<number>((resolve) => {
      if (client.socket.localPort) resolve(client.socket.localPort);
      else client.socket.once('connect', () => resolve(client.socket.localPort!));
    });
    const t0 = nowMs();
    gate.open();
    let cutOffAtMs = Number.NaN;
    let serverSocketAtCutOff = 'not cut off';
    const samples = await sampleUntilFinal(gateway, jobId, t0, 500, (sample) => {
      if (Number.isNaN(cutOffAtMs) && sample.streams === 0) {
        cutOffAtMs = sample.atMs;
        serverSocketAtCutOff = serverSocketState(gateway.port, clientPort);
      }
    });
    const floodMs = samples.at(-1)!.atMs;
    const done = await gateway.mem();

    // Read what the kernel still holds for the slow client, up to the server's close.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('slow client never saw the close')), 60_000);
      onClosed = () => {
        clearTimeout(timer);
        resolve();
      };
      if (closed) onClosed();
      client.socket.resume();
    });
    const cut = slow.figures();
    const receivedBeforeCut = {
      progress: slow.next - 1,
      bytes: client.parser.bodyBytes,
      gotDone: cut.gotDone,
      gapFree: slow.missing === 0 && slow.outOfOrder === 0,
    };

    // Reconnect with the last id the client parsed: the rest, nothing lost, nothing repeated.
    const from = slow.next;
    const rest = new StreamCheck(count, from);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('resumed stream did not end')), 120_000);
      openRawSse({
        port: gateway.port,
        path: `/v1/jobs/${jobId}/events`,
        headers: slow.lastId === undefined ? {} : { 'Last-Event-ID': slow.lastId },
        onEvent: (event) => rest.onEvent(event),
        onClose() {
          clearTimeout(timer);
          resolve();
        },
      });
    });
    const resumedFigures = rest.figures();

    await deleteJob(gateway.port, jobId);
    const afterDelete = await gateway.mem();
    const control = ctx.smoke ? undefined : await controlFlood(gateway, count, pad);
    return {
      before,
      duringMaxHeap: maxOf(samples.map((s) => s.heapUsed)),
      duringMaxRss: maxOf(samples.map((s) => s.rss)),
      done,
      afterDelete,
      controlDuringMaxHeap: control?.maxHeap ?? Number.NaN,
      controlFloodMs: control?.ms ?? Number.NaN,
      cutOffAtMs,
      floodMs,
      serverSocketAtCutOff,
      readBeforePause,
      receivedBeforeCut,
      resumed: {
        from,
        missing: resumedFigures.missing,
        outOfOrder: resumedFigures.outOfOrder,
        gotDone: resumedFigures.gotDone,
        doneStatus: resumedFigures.doneStatus,
      },
    };
  } finally {
    await gate.close();
  }
}

export async function slowClientScenario(
  ctx: Context,
): Promise<Omit<ScenarioResult, 'durationMs'>> {
  const { count, pad, backlogBytes, readFirst } = ctx.sizes.slowClient;
  const figures = new Figures();
  const details: unknown[] = [];
  const checks: Check[] = [];
  const gateway = await startGateway({
    kind: 'probe',
    env: {
      SSE_MAX_BACKLOG_BYTES: String(backlogBytes),
      MAX_EVENTS_PER_JOB: String(count + 100),
    },
  });
  try {
    for (let run = 0; run < ctx.runs; run++) {
      const r = await slowRun(ctx, gateway);
      details.push({ run, count, backlogBytes, ...r });
      figures.add('heapBefore', 'gateway heap before', 'MiB', r.before.heapUsed / MiB);
      figures.add(
        'heapDuring',
        'gateway heap during flood (max, slow client)',
        'MiB',
        r.duringMaxHeap / MiB,
      );
      if (!ctx.smoke) {
        figures.add(
          'heapControl',
          'gateway heap during flood (max, no subscriber)',
          'MiB',
          r.controlDuringMaxHeap / MiB,
        );
        figures.add(
          'heapOverhead',
          'slow client heap overhead (during − control)',
          'MiB',
          (r.duringMaxHeap - r.controlDuringMaxHeap) / MiB,
        );
      }
      figures.add(
        'heapDone',
        'gateway heap after flood (log retained)',
        'MiB',
        r.done.heapUsed / MiB,
      );
      figures.add(
        'heapAfterDelete',
        'gateway heap after the job was deleted',
        'MiB',
        r.afterDelete.heapUsed / MiB,
      );
      figures.add('rssDuring', 'gateway RSS during flood (max)', 'MiB', r.duringMaxRss / MiB);
      figures.add('cutOffAt', 'slow client cut off (seen) after flood start', 'ms', r.cutOffAtMs);
      figures.add('floodMs', 'flood duration (with sampling)', 'ms', r.floodMs);
      figures.add(
        'readBeforeCut',
        'events the slow client got before the cut',
        '',
        r.receivedBeforeCut.progress,
      );
      checks.push(
        check(
          `run ${run + 1}: the client read ${readFirst}+ events, then stopped reading`,
          r.readBeforePause >= readFirst,
          `read ${r.readBeforePause} before pausing`,
        ),
        check(
          `run ${run + 1}: slow client cut off by the server while the flood ran`,
          Number.isFinite(r.cutOffAtMs) && r.cutOffAtMs < r.floodMs && !r.receivedBeforeCut.gotDone,
          `cut at ${r.cutOffAtMs.toFixed(0)} ms of ${r.floodMs.toFixed(0)} ms; server socket then ${r.serverSocketAtCutOff}; client had ${r.receivedBeforeCut.progress} events (${r.receivedBeforeCut.bytes} bytes), done ${r.receivedBeforeCut.gotDone}`,
        ),
        check(
          `run ${run + 1}: what the slow client got is gap-free`,
          r.receivedBeforeCut.gapFree && r.receivedBeforeCut.progress >= r.readBeforePause,
          JSON.stringify(r.receivedBeforeCut),
        ),
        check(
          `run ${run + 1}: reconnect with Last-Event-ID gets the rest losslessly`,
          r.resumed.missing === 0 &&
            r.resumed.outOfOrder === 0 &&
            r.resumed.gotDone &&
            r.resumed.doneStatus === 'succeeded',
          JSON.stringify(r.resumed),
        ),
      );
      ctx.log(
        `slow-client run ${run + 1}: flood ${r.floodMs.toFixed(0)} ms (control ${r.controlFloodMs.toFixed(0)} ms), cut at ${r.cutOffAtMs.toFixed(0)} ms (${r.receivedBeforeCut.progress} events read), heap before ${(r.before.heapUsed / MiB).toFixed(1)} during ${(r.duringMaxHeap / MiB).toFixed(1)} (control ${(r.controlDuringMaxHeap / MiB).toFixed(1)}) after delete ${(r.afterDelete.heapUsed / MiB).toFixed(1)} MiB`,
      );
    }
  } finally {
    await gateway.close();
  }
  return {
    id: 5,
    name: 'slow-client',
    title: `a subscriber that stops reading during a ${count}-event flood${pad ? ` (${pad}-character messages)` : ''} (SSE_MAX_BACKLOG_BYTES=${backlogBytes})`,
    metrics: figures.metrics(),
    checks,
    notes: [
      'Gateway: bench/gateway-process.ts. Open streams and RSS are sampled every 100 ms, heap after one full GC every 500 ms (the GCs slow the flood down: its duration here is not a throughput figure). The flood retains its whole log (MAX_EVENTS_PER_JOB > count) so that the reconnect can be lossless, which is why the heap grows with no subscriber too (the control flood runs after the first job was deleted).',
      '"Cut off (seen)" is the first sample in which the gateway had no open stream; the server side of the connection is then FIN_WAIT1 in /proc/net/tcp (closed by the gateway, its FIN queued behind data the client has not read) or gone. Before it was cut, the client got what the kernel buffers held (a few MB on loopback) plus what was written before the backlog passed the bound.',
    ],
    details,
  };
}
