/**
 * openapi.yaml against the code: every problem and job error code is listed, every documented
 * route exists, and every route the app registers (under /v1, /healthz, /readyz) is documented.
 * Also: the settings table of docs/configuration.md names every environment variable
 * src/config reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HTTPMethods } from 'fastify';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { ENV_NAMES } from '../../src/config/env-schema.js';
import { loadConfig } from '../../src/config/index.js';
import { JOB_ERRORS, PROBLEMS } from '../../src/errors.js';
import { registeredRoutes } from '../helpers/routes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Operation {
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  responses?: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
}
type PathItem = Record<string, Operation | Operation['parameters']>;
interface Spec {
  openapi: string;
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, any>;
    responses: Record<string, { content?: Record<string, unknown> }>;
    parameters: Record<string, { name: string; in: string }>;
  };
}

const spec = parse(readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8')) as Spec;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every documented operation as `METHOD /fastify/:style/path`. */
function documentedRoutes(): { method: HTTPMethods; url: string; key: string }[] {
  const routes: { method: HTTPMethods; url: string; key: string }[] = [];
  for (const [openapiPath, item] of Object.entries(spec.paths)) {
    const url = openapiPath.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      if (item[method] === undefined) continue;
      const upper = method.toUpperCase() as HTTPMethods;
      routes.push({ method: upper, url, key: `${upper} ${url}` });
    }
  }
  return routes;
}

const isPublicRoute = (url: string) =>
  url === '/v1' || url.startsWith('/v1/') || url === '/healthz' || url === '/readyz';

test('openapi.yaml is OpenAPI 3.1.0', () => {
  assert.equal(spec.openapi, '3.1.0');
});

test('Problem.code lists exactly the codes of PROBLEMS, each described', () => {
  const code = spec.components.schemas.Problem.properties.code;
  assert.deepEqual([...code.enum].sort(), Object.keys(PROBLEMS).sort());
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    const description: unknown = code['x-enumDescriptions']?.[name];
    assert.equal(typeof description, 'string', `${name} has no x-enumDescriptions entry`);
    assert.ok(
      (description as string).startsWith(`${problem.status} `),
      `${name}: x-enumDescriptions should start with its status ${problem.status}`,
    );
    assert.match(code.description, new RegExp(`\\| \`${name}\` \\| ${problem.status} \\|`));
  }
});

test('JobError.code lists exactly the codes of JOB_ERRORS, each described', () => {
  const code = spec.components.schemas.JobError.properties.code;
  assert.deepEqual([...code.enum].sort(), Object.keys(JOB_ERRORS).sort());
  for (const name of Object.keys(JOB_ERRORS)) {
    assert.equal(typeof code['x-enumDescriptions']?.[name], 'string', `${name} undescribed`);
    assert.match(code.description, new RegExp(`\\| \`${name}\` \\|`));
  }
});

test('every documented route exists and every app route is documented', async () => {
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }));
  try {
    await app.ready();
    const documented = documentedRoutes();
    assert.ok(documented.length > 0);
    for (const route of documented) {
      assert.ok(app.hasRoute({ method: route.method, url: route.url }), `${route.key} not found`);
    }

    const registered = registeredRoutes(app);
    // The parser must see what hasRoute sees, or this half of the test proves nothing.
    // Wildcard routes are the exception: printRoutes hangs `*` under the shortest shared prefix
    // (`/docs/static/*` shows as `/docs/` + `*`; CORS's `/*` as `*`), none of them under /v1.
    for (const route of registered.filter((r) => !r.url.includes('*'))) {
      assert.ok(
        app.hasRoute({ method: route.method as HTTPMethods, url: route.url }),
        `printRoutes parsed ${route.method} ${route.url}, which hasRoute does not know`,
      );
    }
    const documentedKeys = new Set(documented.map((r) => r.key));
    for (const route of registered.filter((r) => isPublicRoute(r.url))) {
      // Fastify answers HEAD for every GET route by itself (exposeHeadRoutes).
      if (route.method === 'HEAD' && documentedKeys.has(`GET ${route.url}`)) continue;
      const key = `${route.method} ${route.url}`;
      assert.ok(documentedKeys.has(key), `${key} is registered but not in openapi.yaml`);
    }
    for (const route of documented) {
      assert.ok(
        registered.some((r) => `${r.method} ${r.url}` === route.key),
        `${route.key} is documented but printRoutes does not list it`,
      );
    }
  } finally {
    await app.close();
  }
});

test('docs/configuration.md has a row for every environment variable src/config reads', () => {
  const names = ENV_NAMES;
  assert.ok(names.includes('PORT') && names.includes('API_KEYS'), `parsed ${names.join(', ')}`);
  const doc = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
  for (const name of names) {
    assert.match(
      doc,
      new RegExp(`^\\| \`${name}\` +\\|`, 'm'),
      `docs/configuration.md lacks ${name}`,
    );
  }
});

test('path parameters are declared, and error responses are problem+json', () => {
  const resolve = <T>(ref: string, from: Record<string, T>): T => {
    const name = ref.split('/').at(-1)!;
    const found = from[name];
    assert.ok(found, `unresolved $ref ${ref}`);
    return found;
  };
  for (const [openapiPath, item] of Object.entries(spec.paths)) {
    const inPath = [...openapiPath.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const shared = (item.parameters as Operation['parameters']) ?? [];
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${openapiPath}`;
      const parameters = [...shared, ...(operation.parameters ?? [])].map((p) =>
        p.$ref ? resolve(p.$ref, spec.components.parameters) : p,
      );
      for (const name of inPath) {
        assert.ok(
          parameters.some((p) => p.in === 'path' && p.name === name),
          `${where}: path parameter ${name} is not declared`,
        );
      }
      const responses = Object.entries(operation.responses ?? {});
      assert.ok(responses.length > 0, `${where} documents no response`);
      for (const [status, response] of responses) {
        const body = response.$ref ? resolve(response.$ref, spec.components.responses) : response;
        if (Number(status) >= 400 && !(openapiPath === '/readyz' && status === '503')) {
          assert.ok(
            body.content?.['application/problem+json'],
            `${where} ${status} is not application/problem+json`,
          );
        }
      }
    }
  }
});
