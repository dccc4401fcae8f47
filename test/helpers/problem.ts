import assert from 'node:assert/strict';
import type { Response } from 'supertest';

/** A stack frame, a source path or a module path in a response means internals leaked. */
export const LEAK = /\bat [^\n]*:\d+:\d+|node_modules|\/work\/|\.ts:\d+/;

/** Asserts an RFC 9457 problem with exactly this status and code; returns the body. */
export function problem(res: Response, status: number, code: string, detail?: RegExp): any {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json(;|$)/);
  const body = res.body;
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.type, 'string');
  assert.ok(typeof body.title === 'string' && body.title.length > 0, 'title');
  assert.ok(typeof body.detail === 'string' && body.detail.length > 0, 'detail');
  if (detail) assert.match(body.detail, detail);
  assert.doesNotMatch(res.text, LEAK);
  return body;
}
