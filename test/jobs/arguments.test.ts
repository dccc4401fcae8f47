import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ArgumentValidator } from '../../src/jobs/argument-validator.js';
import { GatewayError } from '../../src/errors.js';
import { everythingStdio, startGateway } from '../helpers/gateway.js';

const tool = (inputSchema: Record<string, unknown>): Tool =>
  ({ name: 't', inputSchema: { type: 'object', ...inputSchema } }) as Tool;

const problems = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.code, 'INVALID_ARGUMENTS');
    return error.extensions.errors;
  }
  assert.fail('expected INVALID_ARGUMENTS');
};

test('arguments are checked against draft-07 and 2020-12 input schemas with JSON pointers', () => {
  const validator = new ArgumentValidator(pino({ level: 'silent' }));
  const strict = tool({
    properties: {
      name: { type: 'string', minLength: 1 },
      count: { type: 'integer', maximum: 10 },
      when: { type: 'string', format: 'date-time' },
      'a/b': { type: 'object', required: ['x'] },
    },
    required: ['name'],
    additionalProperties: false,
  });
  validator.check('s', strict, { name: 'ok', count: 3 });
  assert.deepEqual(
    problems(() =>
      validator.check('s', strict, { count: 11, extra: 1, when: 'yesterday', 'a/b': {} }),
    ),
    [
      { pointer: '/arguments/name', message: 'is required' },
      { pointer: '/arguments/extra', message: 'is not an allowed property' },
      { pointer: '/arguments/count', message: 'must be <= 10' },
      { pointer: '/arguments/when', message: 'must match format "date-time"' },
      { pointer: '/arguments/a~1b/x', message: 'is required' },
    ],
  );
  const modern = tool({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    properties: { items: { type: 'array', prefixItems: [{ type: 'number' }] } },
  });
  validator.check('s', modern, { items: [1, 'x'] });
  assert.deepEqual(
    problems(() => validator.check('s', modern, { items: ['x'] })),
    [{ pointer: '/arguments/items/0', message: 'must be number' }],
  );
  // A schema that does not compile is left to the upstream.
  validator.check('s', tool({ properties: { x: { type: 'no-such-type' } } }), { x: 1 });
});

test('POST /v1/jobs answers 400 INVALID_ARGUMENTS before anything reaches the upstream', async (t) => {
  const gw = await startGateway(t, { upstreams: [everythingStdio()] });
  const res = await gw.http
    .post('/v1/jobs')
    .send({ server: 'everything', tool: 'echo', arguments: { message: 42 } });
  assert.equal(res.status, 400);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.body.code, 'INVALID_ARGUMENTS');
  assert.deepEqual(res.body.errors, [{ pointer: '/arguments/message', message: 'must be string' }]);
  const missing = await gw.http.post('/v1/jobs').send({ server: 'everything', tool: 'echo' });
  assert.equal(missing.status, 400);
  assert.deepEqual(missing.body.errors, [
    { pointer: '/arguments/message', message: 'is required' },
  ]);
  const list = await gw.http.get('/v1/jobs');
  assert.deepEqual(list.body.jobs, [], 'no job was created');
  const ok = await gw.startJob({
    server: 'everything',
    tool: 'echo',
    arguments: { message: 'hi' },
  });
  assert.equal(ok.status, 'queued');
});
