/** Shared bits of the security tests: keys, a problem assertion, polling a job's status. */
import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import type { TestGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

export const ALICE_SECRET = 'alice-secret-0123456789';
export const BOB_SECRET = 'bob-secret-9876543210ab';
export const KEYS_ENV = { API_KEYS: `alice:${ALICE_SECRET},bob:${BOB_SECRET}` };
export const alice = { authorization: `Bearer ${ALICE_SECRET}` };
export const bob = { authorization: `Bearer ${BOB_SECRET}` };

/** A stack frame, a source path or a module path in a response means internals leaked. */
export const LEAK = /\bat [^\n]*:\d+:\d+|node_modules|\/work\/|\.ts:\d+/;

/** Asserts an RFC 9457 problem with exactly this status and code; returns the body. */
export function problem(res: Response, status: number, code: string, what = ''): any {
  const label = `${what ? `${what}: ` : ''}expected ${status} ${code}, got ${res.status} ${res.text}`;
  assert.equal(res.status, status, label);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json(;|$)/, label);
  assert.equal(res.body.status, status, label);
  assert.equal(res.body.code, code, label);
  assert.ok(typeof res.body.detail === 'string' && res.body.detail.length > 0, label);
  assert.doesNotMatch(res.text, LEAK, label);
  return res.body;
}

/** A long, silent fixture call: it runs until cancelled (or ten minutes pass). */
export const longCall = { server: 'fixture', tool: 'silent', arguments: { ms: 600_000 } };

/** Polls the job until `accept(status)` holds; returns the job. */
export async function jobWhere(
  gw: TestGateway,
  id: string,
  accept: (status: string) => boolean,
  headers: Record<string, string> = {},
  what = `job ${id}`,
): Promise<any> {
  return waitUntil(async () => {
    const res = await gw.http.get(`/v1/jobs/${id}`).set(headers);
    assert.equal(res.status, 200, res.text);
    return accept(res.body.status) ? res.body : undefined;
  }, what);
}
