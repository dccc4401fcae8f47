/**
 * Every /v1 route against every kind of caller that must be turned away: no key, a wrong key,
 * another key's job, stream tokens that are expired, tampered, for another job or for another
 * route; and the stream tokens that must work (a job's links.events, a /v1/events set).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import { StreamTokens } from '../../src/http/stream-token.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { openSse, parsed } from '../helpers/sse-client.js';
import { waitUntil } from '../helpers/wait.js';
import {
  ALICE_SECRET,
  BOB_SECRET,
  KEYS_ENV,
  alice,
  bob,
  jobWhere,
  longCall,
  problem,
} from './support.js';

const quick = { server: 'fixture', tool: 'echo', arguments: { a: 1 } };

type Method = 'get' | 'post' | 'delete';
interface Route {
  method: Method;
  path: (id: string) => string;
  body?: (id: string) => Record<string, unknown>;
  sse?: boolean;
}

/** Every /v1 route; `id` is a job of alice's. */
const ROUTES: Route[] = [
  { method: 'post', path: () => '/v1/jobs', body: () => quick },
  { method: 'get', path: () => '/v1/jobs' },
  { method: 'get', path: (id) => `/v1/jobs/${id}` },
  { method: 'post', path: (id) => `/v1/jobs/${id}/cancel` },
  { method: 'delete', path: (id) => `/v1/jobs/${id}` },
  { method: 'get', path: (id) => `/v1/jobs/${id}/events`, sse: true },
  { method: 'get', path: (id) => `/v1/events?job=${id}`, sse: true },
  { method: 'get', path: () => '/v1/servers' },
  { method: 'get', path: () => '/v1/servers/fixture/tools' },
  { method: 'post', path: () => '/v1/stream-tokens', body: (id) => ({ jobs: [id] }) },
];

/** The routes that name one of alice's jobs: another key must get 404 on every one. */
const JOB_ROUTES = ROUTES.filter((r) => r.path('ID').includes('ID') || r.body?.('ID').jobs);

function send(gw: TestGateway, route: Route, id: string, headers: Record<string, string>) {
  let req = gw.http[route.method](route.path(id)).set(headers);
  if (route.sse) req = req.set('accept', 'text/event-stream');
  return route.body ? req.send(route.body(id)) : req;
}

const tokenOf = (url: string) => new URL(url, 'http://x').searchParams.get('token')!;

describe('every /v1 route turns away', () => {
  test('no key and wrong keys: 401 UNAUTHORIZED with WWW-Authenticate, on every route', async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const job = await gw.startJob(longCall, alice);
    const wrong: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['a wrong key', { authorization: 'Bearer not-a-key-not-a-key-0' }],
      ['a near miss', { authorization: `Bearer ${ALICE_SECRET.slice(0, -1)}x` }],
      ['a prefix of a key', { authorization: `Bearer ${ALICE_SECRET.slice(0, 8)}` }],
      [
        'Basic auth',
        { authorization: `Basic ${Buffer.from(`alice:${ALICE_SECRET}`).toString('base64')}` },
      ],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['two keys', { authorization: `Bearer ${ALICE_SECRET} ${BOB_SECRET}` }],
    ];
    for (const route of ROUTES) {
      for (const [what, headers] of wrong) {
        const res = await send(gw, route, job.id, headers);
        const label = `${route.method.toUpperCase()} ${route.path('{id}')} with ${what}`;
        problem(res, 401, 'UNAUTHORIZED', label);
        assert.match(String(res.headers['www-authenticate']), /^Bearer\b/, label);
        assert.ok(!res.text.includes(ALICE_SECRET) && !res.text.includes(BOB_SECRET), label);
      }
    }
    // Nothing a turned-away request did reached the job.
    assert.equal((await gw.http.get(`/v1/jobs/${job.id}`).set(alice)).body.status, 'running');
  });

  test("another key's job: 404 JOB_NOT_FOUND on every job route, as for no job at all", async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const job = await gw.startJob(longCall, alice);
    for (const route of JOB_ROUTES) {
      const label = `${route.method.toUpperCase()} ${route.path('{id}')}`;
      const foreign = problem(await send(gw, route, job.id, bob), 404, 'JOB_NOT_FOUND', label);
      const missing = problem(
        await send(gw, route, '0000000000aaaaaaaaaaaaaaaa', bob),
        404,
        'JOB_NOT_FOUND',
        label,
      );
      // The same answer, id aside: nothing tells an existing job from a missing one.
      assert.equal(foreign.title, missing.title, label);
      assert.equal(
        foreign.detail.replace(job.id, '<id>'),
        missing.detail.replace('0000000000aaaaaaaaaaaaaaaa', '<id>'),
      );
    }
    // A set with one foreign job among the caller's own is refused whole.
    const own = await gw.startJob(longCall, bob);
    problem(
      await gw.http.get(`/v1/events?job=${own.id}&job=${job.id}`).set(bob),
      404,
      'JOB_NOT_FOUND',
    );
    problem(
      await gw.http
        .post('/v1/stream-tokens')
        .set(bob)
        .send({ jobs: [own.id, job.id] }),
      404,
      'JOB_NOT_FOUND',
    );
    assert.equal((await gw.http.get(`/v1/jobs/${job.id}`).set(alice)).body.status, 'running');
  });

  test('stream tokens: expired, tampered, forged, for another job or another route: 401', async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const job = await gw.startJob(longCall, alice);
    const other = await gw.startJob(longCall, alice);
    const token = tokenOf(job.links.events);
    // The same signing key as the gateway's, but a clock an hour behind: already expired.
    const secrets = [ALICE_SECRET, BOB_SECRET];
    const expired = new StreamTokens(secrets, 60_000, () => Date.now() - 3_600_000).issue('alice', [
      job.id,
    ]);
    const forged = new StreamTokens(['some-other-secret-xx'], 60_000).issue('alice', [job.id]);
    const [payload, signature] = token.split('.');
    const widened = Buffer.from(
      JSON.stringify({ owner: 'alice', jobs: [job.id, other.id], expiresAt: 2e9 }),
    ).toString('base64url');
    const flip = (s: string) => `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
    const bad: Array<[string, string]> = [
      ['an expired token', `/v1/jobs/${job.id}/events?token=${expired}`],
      ['a tampered signature', `/v1/jobs/${job.id}/events?token=${payload}.${flip(signature!)}`],
      ['a widened payload', `/v1/events?job=${other.id}&token=${widened}.${signature}`],
      ['a token signed with other keys', `/v1/jobs/${job.id}/events?token=${forged}`],
      ['garbage', `/v1/jobs/${job.id}/events?token=garbage`],
      ['an empty token', `/v1/jobs/${job.id}/events?token=`],
      ["another job's stream", `/v1/jobs/${other.id}/events?token=${token}`],
      ['a set with another job', `/v1/events?job=${job.id}&job=${other.id}&token=${token}`],
      ['the job itself (JSON)', `/v1/jobs/${job.id}?token=${token}`],
      ['the job list', `/v1/jobs?token=${token}`],
      ['servers', `/v1/servers?token=${token}`],
    ];
    for (const [what, url] of bad) {
      const res = await gw.http.get(url).set('accept', 'text/event-stream');
      problem(res, 401, 'UNAUTHORIZED', what);
      assert.match(String(res.headers['www-authenticate']), /^Bearer error=/, what);
    }
    for (const [what, res] of [
      ['cancel', await gw.http.post(`/v1/jobs/${job.id}/cancel?token=${token}`)],
      ['delete', await gw.http.delete(`/v1/jobs/${job.id}?token=${token}`)],
      ['start', await gw.http.post(`/v1/jobs?token=${token}`).send(quick)],
      ['mint', await gw.http.post(`/v1/stream-tokens?token=${token}`).send({ jobs: [job.id] })],
    ] as const) {
      problem(res, 401, 'UNAUTHORIZED', `a stream token cannot ${what}`);
    }
    // The header wins over a token: bob with alice's token sees nothing of hers.
    problem(await gw.http.get(job.links.events).set(bob), 404, 'JOB_NOT_FOUND');
    assert.equal((await gw.http.get(`/v1/jobs/${job.id}`).set(alice)).body.status, 'running');
  });

  test('an EventSource whose token expired gets 401 on reconnect and stops cleanly', async (t) => {
    const gw = await startGateway(t, { env: { ...KEYS_ENV, STREAM_TOKEN_TTL_MS: '1000' } });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    await jobWhere(gw, job.id, (s) => s === 'succeeded', alice);
    // Wait for the expiry by asking the gateway, not by sleeping a guessed time.
    await waitUntil(async () => {
      const res = await gw.http.get(job.links.events).set('accept', 'text/event-stream');
      return res.status === 401;
    }, 'the token to expire');
    const es = new EventSource(`${gw.url}${job.links.events}`);
    t.after(() => es.close());
    const status = await new Promise<number | undefined>((resolve) =>
      es.addEventListener('error', (e) => resolve(e.code)),
    );
    assert.equal(status, 401);
    assert.equal(es.readyState, EventSource.CLOSED, 'no reconnect after a 401');
  });
});

describe('stream tokens that must work', () => {
  test("a job's links.events opens its stream without a header", async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const job = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const stream = await openSse(`${gw.url}${job.links.events}`);
    await stream.ended;
    assert.equal(stream.status, 200);
    assert.equal(parsed(stream.events).at(-1)!.event, 'done');
  });

  test('POST /v1/stream-tokens: a token for exactly that set, usable by EventSource', async (t) => {
    const gw = await startGateway(t, { env: KEYS_ENV });
    const a = await gw.startJob(
      { server: 'fixture', tool: 'slow', arguments: { steps: 2, intervalMs: 5 } },
      alice,
    );
    const b = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const c = await gw.startJob({ server: 'fixture', tool: 'echo' }, alice);
    const res = await gw.http
      .post('/v1/stream-tokens')
      .set(alice)
      .send({ jobs: [a.id, b.id, a.id] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { token, url, expiresAt } = res.body;
    assert.equal(url, `/v1/events?job=${a.id}&job=${b.id}&token=${token}`);
    const ttl = Date.parse(expiresAt) - Date.now();
    assert.ok(ttl > 13 * 60_000 && ttl <= 15 * 60_000, `expiresAt ${expiresAt}`);

    // The whole set, with a real EventSource and no header.
    const es = new EventSource(`${gw.url}${url}`);
    t.after(() => es.close());
    const done = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      es.addEventListener('done', (e) => {
        done.add(JSON.parse(e.data).jobId);
        if (done.size === 2) resolve();
      });
      es.addEventListener('error', (e) => {
        if (es.readyState === EventSource.CLOSED) reject(new Error(`closed: ${JSON.stringify(e)}`));
      });
    });
    es.close();
    assert.deepEqual([...done].sort(), [a.id, b.id].sort());

    // Part of the set, and each job's own stream, work too; any other job does not.
    for (const path of [`/v1/events?job=${b.id}`, `/v1/jobs/${a.id}/events`]) {
      const sub = await openSse(`${gw.url}${path}${path.includes('?') ? '&' : '?'}token=${token}`);
      await sub.ended;
      assert.equal(sub.status, 200, path);
    }
    for (const path of [`/v1/events?job=${a.id}&job=${c.id}`, `/v1/jobs/${c.id}/events?`]) {
      const sep = path.endsWith('?') ? '' : '&';
      const res2 = await gw.http.get(`${path}${sep}token=${token}`);
      problem(res2, 401, 'UNAUTHORIZED', path);
    }
  });

  test('POST /v1/stream-tokens rejects bad bodies; running open it answers the bare URL', async (t) => {
    const keyed = await startGateway(t, { env: KEYS_ENV });
    for (const body of [{}, { jobs: [] }, { jobs: 'x' }, { jobs: [1] }, { jobs: ['a'], x: 1 }]) {
      problem(
        await keyed.http.post('/v1/stream-tokens').set(alice).send(body),
        400,
        'INVALID_REQUEST',
        JSON.stringify(body),
      );
    }
    problem(
      await keyed.http
        .post('/v1/stream-tokens')
        .set(alice)
        .send({ jobs: Array.from({ length: 51 }, (_v, i) => `j${i}`) }),
      400,
      'INVALID_REQUEST',
    );
    problem(
      await keyed.http
        .post('/v1/stream-tokens')
        .set(alice)
        .send({ jobs: ['nope'] }),
      404,
      'JOB_NOT_FOUND',
    );

    const open = await startGateway(t);
    const job = await open.startJob({ server: 'fixture', tool: 'echo' });
    const res = await open.http.post('/v1/stream-tokens').send({ jobs: [job.id] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { token: null, url: `/v1/events?job=${job.id}`, expiresAt: null });
  });
});
