/**
 * src/http/api-description.ts: route schemas taken from an OpenAPI document. The real
 * openapi.yaml is exercised by every route test; small documents here reach the rules that
 * openapi.yaml does not (yet) need: $ref siblings, and the refusals that stop the gateway at
 * start-up instead of validating requests differently from what the document says.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { loadApiDescription, type ApiDescription } from '../../src/http/api-description.js';

const dir = mkdtempSync(path.join(tmpdir(), 'api-description-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
/** A document with one operation, `op`, at `GET /things/{id}` (`post` adds a body). */
function load(operation: Record<string, unknown>, components: Record<string, unknown> = {}) {
  const file = path.join(dir, `doc-${++count}.yaml`);
  const doc = {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths: {
      '/things/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        post: { operationId: 'op', responses: { '200': { description: 'ok' } }, ...operation },
      },
    },
    components,
  };
  writeFileSync(file, stringify(doc));
  return loadApiDescription(file);
}

const body = (schema: unknown) => ({
  requestBody: { content: { 'application/json': { schema } } },
});
const query = (name: string, schema: unknown, extra: Record<string, unknown> = {}) => ({
  parameters: [{ name, in: 'query', schema, ...extra }],
});

test('the real openapi.yaml: every route schema it is asked for', () => {
  const api: ApiDescription = loadApiDescription();
  assert.deepEqual(api.params('getJob'), {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' } },
  });
  assert.equal(api.headerPattern('IdempotencyKey').test('has space'), false);
  assert.equal(api.headerPattern('IdempotencyKey').test('a'.repeat(255)), true);
  const listJobs = api.querystring('listJobs', { closed: true }) as any;
  assert.equal(listJobs.additionalProperties, false);
  assert.deepEqual(listJobs.properties.limit, { type: 'string', pattern: '^(100|[1-9][0-9]?)$' });
  // The document itself is left as it was parsed (it is served as is).
  const doc = api.document as any;
  assert.equal(
    doc.paths['/v1/jobs'].post.requestBody.content['application/json'].schema.$ref,
    '#/components/schemas/StartJobRequest',
  );
});

test('$refs are inlined, annotations dropped, and siblings of a $ref kept with allOf', () => {
  const api = load(body({ $ref: '#/components/schemas/Thing', maxProperties: 3 }), {
    schemas: {
      Thing: {
        type: 'object',
        description: 'dropped',
        'x-note': 'dropped',
        properties: { name: { $ref: '#/components/schemas/Name', description: 'only a note' } },
      },
      Name: { type: 'string', maxLength: 8, examples: ['a'], default: 'a' },
    },
  });
  assert.deepEqual(api.body('op'), {
    allOf: [
      { type: 'object', properties: { name: { type: 'string', maxLength: 8 } } },
      { maxProperties: 3 },
    ],
  });
  assert.deepEqual(api.params('op'), {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' } },
  });
});

test('query values are text: arrays take one value or several, numbers need a pattern', () => {
  const api = load(query('tag', { type: 'array', items: { type: 'string' } }, { required: true }));
  // Not required here: the handler says how to name a missing parameter.
  assert.deepEqual(api.querystring('op'), {
    type: 'object',
    properties: {
      tag: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    },
  });
  assert.throws(
    () => load(query('n', { type: 'integer', minimum: 1 })).querystring('op'),
    /a query parameter of type integer needs a pattern/,
  );
  assert.throws(
    () => load(query('b', { type: 'boolean' })).querystring('op'),
    /query parameters of type boolean are not supported/,
  );
  assert.throws(
    () => load(query('a', { type: 'string' })).querystring('op', { only: ['b'] }),
    /no query parameter b/,
  );
});

test('keywords draft-07 and 2020-12 read differently stop the gateway at start-up', () => {
  for (const schema of [
    { type: 'array', prefixItems: [{ type: 'string' }] },
    { type: 'object', unevaluatedProperties: false },
    { type: 'array', items: [{ type: 'string' }] },
    { $ref: 'other.yaml#/Thing' },
    { $ref: '#/components/schemas/Missing' },
  ]) {
    assert.throws(
      () => load(body(schema)).body('op'),
      /route schemas support|tuple|local \$refs|unresolved/,
    );
  }
  assert.throws(() => load({}).body('nope'), /no operation has this operationId/);
  assert.throws(() => load({}).body('op'), /no application\/json request body/);
});
