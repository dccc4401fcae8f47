/**
 * openapi.yaml is the one description of the API. The routes validate what clients send (bodies,
 * path parameters, query strings, the Idempotency-Key header) against schemas taken from it when
 * the app is built, so every pattern and limit is written once, there.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12; Fastify compiles route schemas with Ajv's draft-07.
 * The two agree on the keywords this module lets through (VALIDATION_KEYWORDS); any other keyword
 * in a request schema stops the gateway at start-up instead of being read differently. `$ref`s
 * are inlined, and annotations (`description`, `examples`, `default`, `x-...`) are dropped:
 * Fastify's Ajv applies `default`s to requests (`useDefaults`), and handlers apply their own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** openapi.yaml sits at the package root, two levels above src/http and dist/http. */
export const OPENAPI_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../openapi.yaml',
);

/** A JSON Schema object, as parsed from the document. */
export type JsonSchema = { [keyword: string]: unknown };

/** The parts of an OpenAPI 3.1 document this module reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

interface Operation {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface QueryOptions {
  /** Only these parameters are checked (others documented for the operation pass as they come). */
  only?: readonly string[];
  /** Parameters the operation does not document are refused (400), as the document says. */
  closed?: boolean;
}

/** openapi.yaml, read once, and the route schemas taken from it. */
export interface ApiDescription {
  /** The document as parsed (served as is at /openapi.json and /openapi.yaml); never modified. */
  readonly document: OpenApiDocument;
  /** The schema of the JSON request body of `operationId`. */
  body(operationId: string): JsonSchema;
  /** The schema of the path parameters of `operationId`. */
  params(operationId: string): JsonSchema;
  /**
   * The schema of the query string of `operationId`, for values as they arrive: text, or an
   * array of texts when a parameter is repeated. Required parameters are left to the handler,
   * whose answer says how to name them.
   */
  querystring(operationId: string, options?: QueryOptions): JsonSchema;
  /** The `pattern` of the header parameter `components/parameters/<name>`, as a RegExp. */
  headerPattern(name: string): RegExp;
}

/** Keywords whose meaning is the same in JSON Schema draft-07 and 2020-12. */
const VALIDATION_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);

/** Keywords that only describe: dropped from route schemas. */
const ANNOTATIONS = new Set([
  'description',
  'title',
  'examples',
  'example',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'externalDocs',
]);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and parses openapi.yaml; call once when building the app. */
export function loadApiDescription(file: string = OPENAPI_FILE): ApiDescription {
  const document = parse(readFileSync(file, 'utf8')) as OpenApiDocument;
  if (!isObject(document) || !isObject(document.paths)) {
    throw new Error(`${file} is not an OpenAPI document`);
  }
  return fromDocument(document, file);
}

function fromDocument(document: OpenApiDocument, file: string): ApiDescription {
  const fail = (where: string, message: string): never => {
    throw new Error(`${file}: ${where}: ${message}`);
  };

  /** The value at a local `$ref` (`#/components/...`). */
  const target = (ref: string, where: string): unknown => {
    if (!ref.startsWith('#/')) fail(where, `only local $refs are supported, not ${ref}`);
    let value: unknown = document;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
      value = isObject(value) ? value[key] : undefined;
      if (value === undefined) fail(where, `unresolved $ref ${ref}`);
    }
    return value;
  };

  /** A `$ref`-free copy of `value`. */
  const deref = (value: unknown, where: string, seen: string[] = []): unknown => {
    if (Array.isArray(value)) return value.map((item) => deref(item, where, seen));
    if (!isObject(value)) return value;
    const { $ref, ...rest } = value;
    if (typeof $ref === 'string') {
      if (seen.includes($ref)) fail(where, `recursive $ref ${$ref}`);
      const resolved = deref(target($ref, where), where, [...seen, $ref]);
      const siblings = deref(rest, where, seen) as Record<string, unknown>;
      const checked = Object.keys(siblings).filter(
        (k) => !ANNOTATIONS.has(k) && !k.startsWith('x-'),
      );
      // Siblings of a $ref apply in 2020-12 but are ignored by draft-07: keep them as allOf.
      return checked.length === 0 ? resolved : { allOf: [resolved, siblings] };
    }
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, deref(v, where, seen)]));
  };

  /** `schema` (already $ref-free) with annotations dropped, checked against the common subset. */
  const validator = (schema: unknown, where: string): JsonSchema => {
    if (!isObject(schema)) return fail(where, 'a schema must be an object');
    const out: JsonSchema = {};
    for (const [keyword, value] of Object.entries(schema)) {
      if (ANNOTATIONS.has(keyword) || keyword.startsWith('x-')) continue;
      if (!VALIDATION_KEYWORDS.has(keyword)) {
        fail(where, `'${keyword}' is not a keyword route schemas support (draft-07 and 2020-12)`);
      }
      if (keyword === 'properties') {
        out[keyword] = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([name, sub]) => [
            name,
            validator(sub, `${where}/properties/${name}`),
          ]),
        );
      } else if (keyword === 'items' && Array.isArray(value)) {
        fail(where, "'items' as an array (a tuple) means another thing in 2020-12");
      } else if (
        ['items', 'not'].includes(keyword) ||
        (keyword === 'additionalProperties' && isObject(value))
      ) {
        out[keyword] = validator(value, `${where}/${keyword}`);
      } else if (['allOf', 'anyOf', 'oneOf'].includes(keyword)) {
        out[keyword] = (value as unknown[]).map((sub, i) =>
          validator(sub, `${where}/${keyword}/${i}`),
        );
      } else {
        out[keyword] = value;
      }
    }
    return out;
  };

  const operations = new Map<string, { operation: Operation; parameters: Parameter[] }>();
  for (const [route, item] of Object.entries(document.paths)) {
    if (!isObject(item)) continue;
    const shared: unknown[] = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      if (!isObject(item[method])) continue;
      const operation = item[method] as Operation;
      if (typeof operation.operationId !== 'string') continue;
      const where = `${method.toUpperCase()} ${route}`;
      const byKey = new Map<string, Parameter>();
      for (const raw of [...shared, ...(operation.parameters ?? [])]) {
        const parameter = deref(raw, where) as Parameter;
        // An operation's own parameter replaces the path item's of the same name and place.
        byKey.set(`${parameter.in} ${parameter.name}`, parameter);
      }
      operations.set(operation.operationId, { operation, parameters: [...byKey.values()] });
    }
  }

  const find = (operationId: string) =>
    operations.get(operationId) ?? fail(operationId, 'no operation has this operationId');

  /** A query parameter's schema for its value as text (Fastify's Ajv does not coerce types). */
  const asText = (schema: JsonSchema, where: string): JsonSchema => {
    const { type, ...rest } = schema;
    if (type === 'string') return schema;
    if (type === 'integer' || type === 'number') {
      // `minimum` and `maximum` tell the reader; `pattern` spells out the decimals accepted.
      if (typeof rest.pattern !== 'string')
        fail(where, `a query parameter of type ${type} needs a pattern`);
      return { type: 'string', pattern: rest.pattern };
    }
    if (type === 'array' && isObject(rest.items)) {
      // A form-exploded array: one value arrives as a string, repeated values as an array.
      const items = asText(rest.items, `${where}/items`);
      return { anyOf: [items, { ...rest, type: 'array', items }] };
    }
    return fail(where, `query parameters of type ${String(type)} are not supported`);
  };

  return {
    document,

    body(operationId) {
      const { operation } = find(operationId);
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      if (!schema) fail(operationId, 'no application/json request body');
      return validator(deref(schema, operationId), `${operationId} body`);
    },

    params(operationId) {
      const inPath = find(operationId).parameters.filter((p) => p.in === 'path');
      if (inPath.length === 0) fail(operationId, 'no path parameters');
      return {
        type: 'object',
        required: inPath.map((p) => p.name),
        properties: Object.fromEntries(
          inPath.map((p) => [p.name, validator(p.schema, `${operationId} path ${p.name}`)]),
        ),
      };
    },

    querystring(operationId, options = {}) {
      const inQuery = find(operationId).parameters.filter(
        (p) => p.in === 'query' && (!options.only || options.only.includes(p.name)),
      );
      for (const name of options.only ?? []) {
        if (!inQuery.some((p) => p.name === name)) fail(operationId, `no query parameter ${name}`);
      }
      return {
        type: 'object',
        ...(options.closed ? { additionalProperties: false } : {}),
        properties: Object.fromEntries(
          inQuery.map((p) => {
            const where = `${operationId} query ${p.name}`;
            return [p.name, asText(validator(p.schema, where), where)];
          }),
        ),
      };
    },

    headerPattern(name) {
      const parameter = deref(target(`#/components/parameters/${name}`, name), name) as Parameter;
      const pattern = parameter.in === 'header' ? parameter.schema?.pattern : undefined;
      if (typeof pattern !== 'string') return fail(name, 'not a header parameter with a pattern');
      // Unicode mode, as Ajv compiles a schema's `pattern`.
      return new RegExp(pattern, 'u');
    },
  };
}
