/**
 * Checks real HTTP exchanges against openapi.yaml: the status is documented for the operation,
 * the Content-Type is one of its media types, the body validates against that media type's
 * schema (each event of an event stream against the schema `x-sse-events` names for it), the
 * response's headers are there and valid, and the rules the document states in prose for every
 * response (`info.description`: X-Request-Id, security headers, problem documents) hold.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12: the whole document is added to Ajv under an `$id`,
 * and each schema is compiled as a `$ref` to its JSON pointer, so `#/components/...` references
 * resolve as they do in the document. OpenAPI's own keywords (`example`, `x-...`) are ignored.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv } from 'ajv';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { SseParser, type SseEvent } from './sse-client.js';

// ajv-formats is CommonJS whose default export TypeScript sees as the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OPENAPI_FILE = path.join(ROOT, 'openapi.yaml');

/** The `$id` the document is registered under; never fetched. */
const DOC_ID = 'https://mcp-progress-gateway.invalid/openapi.yaml';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** What `info.description` says about every response ("Common headers", "Errors"). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json$/;

/** One request and its complete answer, as seen on the wire. */
export interface Exchange {
  method: string;
  /** Path and query as sent. */
  url: string;
  status: number;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text ('' when there was none). */
  body: string;
}

/** A documented operation. */
export interface Operation {
  method: string;
  /** The path template, e.g. `/v1/jobs/{id}`. */
  path: string;
  /** `GET /v1/jobs/{id}` */
  key: string;
  /** Documented response keys: `'200'`, `'404'`, ..., maybe `'default'`. */
  statuses: string[];
  pattern: RegExp;
}

/** The outcome of checking one exchange. */
export interface Verdict {
  /** The operation's key, or `ANY` when no documented operation has this method and path. */
  operation: string;
  /** The documented response key that applied (`'404'`, `'default'`), or the status itself. */
  status: string;
  /** `code` of a problem document, when the body is one. */
  code: string | undefined;
  /** The stream's events, when the body is an event stream. */
  events: SseEvent[];
  /** Everything that does not agree with openapi.yaml; empty when all is well. */
  problems: string[];
}

interface Located {
  value: any;
  pointer: string;
}

const escapeSegment = (segment: string) =>
  encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));

const essence = (type: string | string[] | undefined) =>
  String(Array.isArray(type) ? type[0] : (type ?? ''))
    .split(';')[0]!
    .trim()
    .toLowerCase();

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ');

export class OpenApiDocument {
  readonly doc: any;
  readonly operations: Operation[];
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();
  /** Problem.code → its documented HTTP status, from `x-enumDescriptions` ("404 No such job"). */
  readonly #problemStatus = new Map<string, number>();

  constructor(file = OPENAPI_FILE) {
    this.doc = parse(readFileSync(file, 'utf8'));
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema({ ...this.doc, $id: DOC_ID });
    this.operations = [];
    for (const [template, item] of Object.entries<any>(this.doc.paths)) {
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) =>
          /^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
        )
        .join('');
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const upper = method.toUpperCase();
        this.operations.push({
          method: upper,
          path: template,
          key: `${upper} ${template}`,
          statuses: Object.keys(operation.responses ?? {}),
          pattern: new RegExp(`^${source}$`),
        });
      }
    }
    const code = this.doc.components.schemas.Problem.properties.code;
    for (const [name, text] of Object.entries<string>(code['x-enumDescriptions'] ?? {})) {
      const status = /^(\d{3}) /.exec(text);
      if (status) this.#problemStatus.set(name, Number(status[1]));
    }
  }

  /** The operation a request reaches: HEAD is answered by the GET operation. */
  operationFor(method: string, url: string): Operation | undefined {
    const wanted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const pathname = url.split('?')[0]!;
    return this.operations.find((op) => op.method === wanted && op.pattern.test(pathname));
  }

  /** Follows local `$ref`s (`#/...`) to the object they name, keeping its JSON pointer. */
  resolve(value: any, pointer: string): Located {
    let located: Located = { value, pointer };
    for (let hops = 0; located.value && typeof located.value.$ref === 'string'; hops++) {
      if (hops > 20) throw new Error(`$ref loop at ${pointer}`);
      const ref: string = located.value.$ref;
      if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
      const next = ref
        .slice(2)
        .split('/')
        .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce((node: any, key) => node?.[key], this.doc);
      if (next === undefined) throw new Error(`unresolved $ref ${ref} at ${located.pointer}`);
      located = {
        value: next,
        pointer: ref
          .slice(2)
          .split('/')
          .map((s) => escapeSegment(s.replaceAll('~1', '/').replaceAll('~0', '~')))
          .reduce((p, s) => `${p}/${s}`, ''),
      };
    }
    return located;
  }

  /** A validator for the schema at `pointer` (segments already escaped) in the document. */
  validator(pointer: string): ValidateFunction {
    let validate = this.#compiled.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${DOC_ID}#${pointer}` });
      this.#compiled.set(pointer, validate);
    }
    return validate;
  }

  /** Validates `value` against `components.schemas[name]`. */
  validateSchema(name: string, value: unknown): string | undefined {
    const validate = this.validator(`/components/schemas/${escapeSegment(name)}`);
    return validate(value) ? undefined : describeErrors(validate.errors);
  }

  /** Checks one exchange against its operation (or, with none, the rules for any path). */
  check(exchange: Exchange): Verdict {
    const operation = this.operationFor(exchange.method, exchange.url);
    if (!operation) return this.checkAnyPath(exchange);
    const verdict: Verdict = {
      operation: operation.key,
      status: String(exchange.status),
      code: undefined,
      events: [],
      problems: [],
    };
    const fail = (message: string) => verdict.problems.push(message);
    const opPointer = `/paths/${escapeSegment(operation.path)}/${operation.method.toLowerCase()}`;
    const responses = this.doc.paths[operation.path][operation.method.toLowerCase()].responses;
    const key = String(exchange.status) in responses ? String(exchange.status) : 'default';
    if (!(key in responses)) {
      fail(
        `${exchange.status} is not a documented status of ${operation.key} (documented: ${operation.statuses.join(', ')})`,
      );
      this.#commonHeaders(exchange, verdict);
      return verdict;
    }
    verdict.status = key;
    const response = this.resolve(responses[key], `${opPointer}/responses/${escapeSegment(key)}`);
    this.#checkHeaders(exchange, response, verdict);
    this.#checkContent(exchange, response, verdict);
    this.#commonHeaders(exchange, verdict);
    return verdict;
  }

  /**
   * A response on any path that `info.description` describes for every route: a route that does
   * not exist (`404 ROUTE_NOT_FOUND`), a request that is not valid HTTP/1.1 (`400`), headers
   * over 16 KiB (`431`), a request that does not arrive in time (`408`), an internal error
   * (`500`): always a `Problem`.
   */
  checkAnyPath(exchange: Exchange): Verdict {
    const verdict: Verdict = {
      operation: 'ANY',
      status: String(exchange.status),
      code: undefined,
      events: [],
      problems: [],
    };
    const type = essence(exchange.headers['content-type']);
    if (type !== 'application/problem+json') {
      verdict.problems.push(`Content-Type ${type || '(none)'} is not application/problem+json`);
    } else if (exchange.method.toUpperCase() !== 'HEAD' || exchange.body !== '') {
      this.#checkProblem(exchange, verdict);
    }
    this.#commonHeaders(exchange, verdict);
    return verdict;
  }

  #checkHeaders(exchange: Exchange, response: Located, verdict: Verdict): void {
    for (const [name, raw] of Object.entries<any>(response.value.headers ?? {})) {
      const header = this.resolve(raw, `${response.pointer}/headers/${escapeSegment(name)}`);
      const given = exchange.headers[name.toLowerCase()];
      if (given === undefined) {
        if (header.value.required) verdict.problems.push(`required header ${name} is missing`);
        continue;
      }
      const text = Array.isArray(given) ? given.join(', ') : given;
      const schema = this.resolve(header.value.schema, `${header.pointer}/schema`);
      const numeric = ['integer', 'number'].includes(schema.value?.type);
      const value = numeric && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      const validate = this.validator(schema.pointer);
      if (!validate(value)) {
        verdict.problems.push(
          `header ${name}: ${JSON.stringify(text)} ${describeErrors(validate.errors)}`,
        );
      }
    }
  }

  #checkContent(exchange: Exchange, response: Located, verdict: Verdict): void {
    const fail = (message: string) => verdict.problems.push(message);
    const content = response.value.content as Record<string, any> | undefined;
    const head = exchange.method.toUpperCase() === 'HEAD';
    if (head && exchange.body !== '') fail('a HEAD answer has a body');
    if (!content) {
      if (exchange.body !== '')
        fail(`the documented response has no content, got ${exchange.body.length} bytes`);
      return;
    }
    const type = essence(exchange.headers['content-type']);
    if (!(type in content)) {
      fail(
        `Content-Type ${type || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      );
      return;
    }
    if (head) return;
    const mediaPointer = `${response.pointer}/content/${escapeSegment(type)}`;
    const media = content[type];
    if (type === 'text/event-stream') {
      this.#checkEventStream(exchange, media, mediaPointer, verdict);
      return;
    }
    if (!media.schema) return;
    let body: unknown = exchange.body;
    if (JSON_MEDIA.test(type)) {
      try {
        body = JSON.parse(exchange.body);
      } catch {
        fail(`the body is not JSON: ${exchange.body.slice(0, 200)}`);
        return;
      }
    }
    const validate = this.validator(`${mediaPointer}/schema`);
    if (!validate(body)) fail(`body: ${describeErrors(validate.errors)}`);
    if (type === 'application/problem+json') this.#checkProblem(exchange, verdict, body);
  }

  /** `retry:` first, then each event against the schema `x-sse-events` gives for its name. */
  #checkEventStream(exchange: Exchange, media: any, pointer: string, verdict: Verdict): void {
    const fail = (message: string) => verdict.problems.push(message);
    if (!/^retry: \d+\n\n/.test(exchange.body))
      fail('the stream does not start with a retry: hint');
    const parser = new SseParser();
    parser.push(exchange.body);
    parser.push('\n\n');
    verdict.events = parser.events;
    const schemas = media['x-sse-events'] as Record<string, unknown> | undefined;
    if (!schemas) return;
    for (const [index, event] of parser.events.entries()) {
      const where = `event ${index} (${event.event}${event.id === undefined ? '' : ` #${event.id}`})`;
      if (!(event.event in schemas)) {
        fail(`${where}: not one of the documented events ${Object.keys(schemas).join(', ')}`);
        continue;
      }
      if (event.data.includes('\n')) fail(`${where}: data spans more than one line`);
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        fail(`${where}: data is not JSON`);
        continue;
      }
      const value = {
        event: event.event,
        ...(event.id === undefined ? {} : { id: event.id }),
        data,
      };
      const validate = this.validator(`${pointer}/x-sse-events/${escapeSegment(event.event)}`);
      if (!validate(value)) fail(`${where}: ${describeErrors(validate.errors)}`);
    }
  }

  /** What `Problem` says in prose: `status` is the response's, `type` names the code. */
  #checkProblem(exchange: Exchange, verdict: Verdict, parsed?: unknown): void {
    let body: any = parsed;
    if (body === undefined) {
      try {
        body = JSON.parse(exchange.body);
      } catch {
        verdict.problems.push(`the problem body is not JSON: ${exchange.body.slice(0, 200)}`);
        return;
      }
      const invalid = this.validateSchema('Problem', body);
      if (invalid) verdict.problems.push(`body: ${invalid}`);
    }
    if (!body || typeof body !== 'object') return;
    verdict.code = typeof body.code === 'string' ? body.code : undefined;
    if (body.status !== exchange.status) {
      verdict.problems.push(
        `problem status ${body.status} is not the response's ${exchange.status}`,
      );
    }
    if (verdict.code !== undefined) {
      const documented = this.#problemStatus.get(verdict.code);
      if (documented !== exchange.status) {
        verdict.problems.push(
          `${verdict.code} is documented with status ${documented}, answered ${exchange.status}`,
        );
      }
      if (body.type !== `urn:mcp-progress-gateway:problem:${verdict.code}`) {
        verdict.problems.push(`problem type ${body.type} does not name ${verdict.code}`);
      }
    }
  }

  /** `info.description`, "Common headers": what every response carries. */
  #commonHeaders(exchange: Exchange, verdict: Verdict): void {
    const fail = (message: string) => verdict.problems.push(message);
    const header = (name: string) => {
      const value = exchange.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const requestId = header('x-request-id');
    if (requestId === undefined || !REQUEST_ID.test(requestId)) {
      fail(`X-Request-Id is ${requestId === undefined ? 'missing' : `not valid: ${requestId}`}`);
    }
    if (header('x-content-type-options') !== 'nosniff') {
      fail(`X-Content-Type-Options is ${header('x-content-type-options')}, not nosniff`);
    }
    if (header('referrer-policy') !== 'no-referrer') {
      fail(`Referrer-Policy is ${header('referrer-policy')}, not no-referrer`);
    }
    if (!JSON_MEDIA.test(essence(exchange.headers['content-type']))) return;
    const pathname = exchange.url.split('?')[0]!;
    if (
      pathname !== '/docs' &&
      !pathname.startsWith('/docs/') &&
      header('content-security-policy') !== JSON_CSP
    ) {
      fail(`a JSON answer has Content-Security-Policy ${header('content-security-policy')}`);
    }
    if (
      (pathname === '/v1' || pathname.startsWith('/v1/')) &&
      header('cache-control') !== 'no-store'
    ) {
      fail(`a JSON answer under /v1 has Cache-Control ${header('cache-control')}`);
    }
  }
}
