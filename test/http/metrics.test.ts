import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

/** The value of one sample in Prometheus text format, or undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('/metrics counts jobs, durations, streams, deliveries and upstream states as they change', async (t) => {
  const gw = await startGateway(t);
  const scrape = async () => {
    const res = await gw.http.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type']!, /^text\/plain; version=0\.0\.4/);
    return res.text;
  };
  const before = await scrape();
  assert.equal(sample(before, 'gateway_jobs_started_total', { tool: 'slow' }), undefined);
  // One state at a time (the pool connects to every upstream once the gateway listens).
  const states = ['idle', 'connecting', 'connected', 'disconnected', 'failed'];
  const stateValues = states.map((state) =>
    sample(before, 'gateway_upstream_state', { server: 'fixture', state }),
  );
  assert.equal(stateValues.filter((v) => v === 1).length, 1, String(stateValues));
  assert.equal(stateValues.filter((v) => v === 0).length, states.length - 1, String(stateValues));
  assert.equal(sample(before, 'gateway_sse_open_streams'), 0);
  assert.ok(sample(before, 'gateway_process_resident_memory_bytes')! > 0);

  const ok = await gw.startJob({
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 3, intervalMs: 5 },
  });
  await gw.collect(ok.id);
  const bad = await gw.startJob({ server: 'fixture', tool: 'tool_error' });
  await gw.collect(bad.id);
  const running = await gw.startJob({ server: 'fixture', tool: 'honour_cancel' });
  const open = await gw.events(running.id);
  t.after(() => open.close());

  const during = await scrape();
  const labels = { server: 'fixture', tool: 'slow' };
  assert.equal(sample(during, 'gateway_jobs_started_total', labels), 1);
  assert.equal(
    sample(during, 'gateway_jobs_finished_total', { ...labels, status: 'succeeded' }),
    1,
  );
  assert.equal(
    sample(during, 'gateway_jobs_finished_total', {
      tool: 'tool_error',
      status: 'failed',
      code: 'TOOL_ERROR',
    }),
    1,
  );
  assert.equal(
    sample(during, 'gateway_job_duration_seconds_count', { ...labels, status: 'succeeded' }),
    1,
  );
  assert.equal(sample(during, 'gateway_sse_open_streams'), 1);
  // slow: running status + 3 progress + done; tool_error: status + done.
  assert.ok(sample(during, 'gateway_sse_events_delivered_total')! >= 7);
  assert.equal(
    sample(during, 'gateway_upstream_state', { server: 'fixture', state: 'connected' }),
    1,
  );
  assert.equal(sample(during, 'gateway_upstream_state', { server: 'fixture', state: 'idle' }), 0);
  assert.equal(sample(during, 'gateway_upstream_reconnects', { server: 'fixture' }), 0);
  assert.equal(sample(during, 'gateway_sse_slow_subscribers_disconnected_total'), 0);

  await gw.http.post(`/v1/jobs/${running.id}/cancel`).expect(202);
  await open.ended;
  const after = await scrape();
  assert.equal(
    sample(after, 'gateway_jobs_finished_total', {
      tool: 'honour_cancel',
      status: 'cancelled',
      code: 'CANCELLED',
    }),
    1,
  );
  assert.equal(sample(after, 'gateway_sse_open_streams'), 0);
});

test('/metrics counts running and queued jobs and problem answers by code', async (t) => {
  const gw = await startGateway(t, {
    env: { MAX_RUNNING_JOBS_PER_UPSTREAM: '1', RATE_LIMIT_JOBS_PER_MINUTE: '3' },
  });
  const scrape = async () => (await gw.http.get('/metrics').expect(200)).text;
  const before = await scrape();
  assert.equal(sample(before, 'gateway_jobs_running'), 0);
  assert.equal(sample(before, 'gateway_jobs_queued'), 0);
  assert.equal(sample(before, 'gateway_http_problems_total', { code: 'JOB_NOT_FOUND' }), undefined);

  const running = await gw.startJob({ server: 'fixture', tool: 'honour_cancel' });
  const queued = await gw.startJob({ server: 'fixture', tool: 'echo' });
  assert.equal(queued.status, 'queued');
  await gw.http.get('/v1/jobs/j_missing').expect(404);
  await gw.http.get('/v1/jobs/j_missing').expect(404);
  await gw.http.post('/v1/jobs').send({ server: 'fixture', tool: 'echo' }); // the third of 3
  await gw.http.post('/v1/jobs').send({ server: 'fixture', tool: 'echo' }).expect(429);
  const during = await scrape();
  assert.equal(sample(during, 'gateway_jobs_running'), 1);
  assert.equal(sample(during, 'gateway_jobs_queued'), 2);
  assert.equal(sample(during, 'gateway_http_problems_total', { code: 'JOB_NOT_FOUND' }), 2);
  assert.equal(sample(during, 'gateway_http_problems_total', { code: 'RATE_LIMITED' }), 1);

  await gw.http.post(`/v1/jobs/${running.id}/cancel`).expect(202);
  await waitUntil(
    async () => sample(await scrape(), 'gateway_jobs_queued') === 0,
    'the queued jobs to run',
  );
});
