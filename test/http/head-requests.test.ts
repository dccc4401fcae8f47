/** HEAD requests on the event-stream routes: headers at once, no stream held open. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';

const KEYS_ENV = { API_KEYS: 'alice:aaaaaaaaaaaaaaaa1' };
const alice = { authorization: 'Bearer aaaaaaaaaaaaaaaa1' };

test('HEAD on an event stream answers its headers at once, without a stream', async (t) => {
  const gw = await startGateway(t, { env: KEYS_ENV });
  const job = await gw.startJob(
    { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } },
    alice,
  );
  for (const path of [`/v1/jobs/${job.id}/events`, `/v1/events?job=${job.id}`]) {
    const res = await gw.http.head(path).set(alice);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['cache-control'], 'no-cache, no-transform');
    assert.equal(gw.app.gateway.streams.size, 0, 'no stream was opened');
  }
  assert.equal((await gw.http.head('/v1/jobs/nope/events').set(alice)).status, 404);
  assert.equal((await gw.http.head(`/v1/jobs/${job.id}/events`)).status, 401);
});
