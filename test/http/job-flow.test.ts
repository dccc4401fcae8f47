import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { parsed } from '../helpers/sse-client.js';

test('a job started over REST streams status, progress and done over SSE', async (t) => {
  const gw = await startGateway(t);
  const job = await gw.startJob({
    server: 'fixture',
    tool: 'slow',
    arguments: { steps: 3, intervalMs: 20 },
  });
  assert.equal(job.status, 'queued');
  const stream = await gw.collect(job.id);
  assert.equal(stream.status, 200);
  assert.equal(stream.headers['content-type'], 'text/event-stream');
  const events = parsed(stream.events);
  assert.equal(events[0]!.event, 'status');
  assert.equal(events[0]!.id, undefined);
  const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress);
  assert.deepEqual(progress, [1, 2, 3]);
  const done = events.at(-1)!;
  assert.equal(done.event, 'done');
  assert.equal(done.data.status, 'succeeded');
  assert.deepEqual(done.data.result.content, [{ type: 'text', text: 'slow 3' }]);
});
