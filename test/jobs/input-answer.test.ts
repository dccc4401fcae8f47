import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputForm } from '../../src/jobs/input-answer.js';

const form = InputForm.from({
  type: 'object',
  properties: {
    name: { type: 'string', title: 'Name', minLength: 2, maxLength: 20 },
    email: { type: 'string', format: 'email', default: 'a@example.com' },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    score: { type: 'number', default: 0.5 },
    subscribe: { type: 'boolean', default: true },
    color: { type: 'string', enum: ['red', 'green'], enumNames: ['Red', 'Green'] },
    size: {
      type: 'string',
      oneOf: [
        { const: 's', title: 'Small' },
        { const: 'l', title: 'Large' },
      ],
    },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 2 },
    secret: { type: 'string', format: 'password' },
  },
  required: ['name', 'color'],
});

test('a valid answer gets the defaults of the fields left out', () => {
  assert.ok(form);
  const checked = form.check({ name: 'Ada', color: 'red', size: 'l', tags: ['a'] });
  assert.deepEqual(checked, {
    ok: true,
    content: {
      name: 'Ada',
      color: 'red',
      size: 'l',
      tags: ['a'],
      email: 'a@example.com',
      score: 0.5,
      subscribe: true,
    },
  });
});

test('the caller’s object is not changed by filling in defaults', () => {
  assert.ok(form);
  const given = { name: 'Ada', color: 'green' };
  form.check(given);
  assert.deepEqual(given, { name: 'Ada', color: 'green' });
});

test('every problem is named by a JSON pointer', () => {
  assert.ok(form);
  const checked = form.check({
    name: 7,
    age: 1.5,
    email: 'not an email',
    size: 'xl',
    extra: true,
    tags: ['a', 'b', 'a'],
  });
  assert.equal(checked.ok, false);
  const pointers = new Set(!checked.ok ? checked.problems.map((p) => p.pointer) : []);
  for (const pointer of [
    '/content/name',
    '/content/color',
    '/content/age',
    '/content/email',
    '/content/size',
    '/content/extra',
    '/content/tags',
  ]) {
    assert.ok(pointers.has(pointer), `${pointer} in ${[...pointers].join(', ')}`);
  }
  const missing = !checked.ok && checked.problems.find((p) => p.pointer === '/content/color');
  assert.deepEqual(missing, { pointer: '/content/color', message: 'is required' });
});

test('content that is not an object is refused', () => {
  assert.ok(form);
  for (const content of [null, 'text', 3, ['name']]) {
    assert.equal(form.check(content).ok, false, JSON.stringify(content));
  }
});

test('sensitive fields are redacted for the event log', () => {
  assert.ok(form);
  assert.deepEqual(form.redact({ name: 'Ada', secret: 'hunter2' }), {
    name: 'Ada',
    secret: '[redacted]',
  });
});

test('schemas outside what MCP allows are not accepted as forms', () => {
  for (const schema of [
    undefined,
    { type: 'string' },
    { type: 'object', properties: { nested: { type: 'object' } } },
    { type: 'object', properties: { ref: { $ref: '#/x' } } },
    { type: 'object', properties: { pick: { type: 'string', oneOf: [{ pattern: 'a' }] } } },
    { type: 'object', properties: 'nope' },
  ]) {
    assert.equal(InputForm.from(schema), undefined, JSON.stringify(schema));
  }
});

test('keywords MCP does not define are left out, so they cannot constrain answers', () => {
  const lenient = InputForm.from({
    type: 'object',
    properties: { code: { type: 'string', pattern: '^x$', format: 'password' } },
  });
  assert.ok(lenient);
  assert.deepEqual(lenient.check({ code: 'anything' }), {
    ok: true,
    content: { code: 'anything' },
  });
});

test('an empty form accepts an empty answer', () => {
  const empty = InputForm.from({ type: 'object', properties: {} });
  assert.ok(empty);
  assert.deepEqual(empty.check({}), { ok: true, content: {} });
  assert.equal(empty.check({ a: 1 }).ok, false);
});
