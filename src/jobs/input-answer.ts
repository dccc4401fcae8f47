import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS whose default export TypeScript sees as the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

/** One problem with an answer's content, located by a JSON pointer into the request body. */
export interface InputProblem {
  pointer: string;
  message: string;
}

/** What checking an answer's content gives: the content to send upstream, or the problems. */
export type CheckedContent =
  { ok: true; content: Record<string, unknown> } | { ok: false; problems: InputProblem[] };

/**
 * Keywords MCP allows in an elicitation's `requestedSchema` field (protocol 2025-11-25: string,
 * number, integer and boolean fields, single- and multi-select enums with or without titles,
 * formats, bounds and defaults). Anything else an upstream sends is left out before compiling,
 * so an upstream's schema can neither make the gateway compile arbitrary code paths (patterns,
 * references) nor change what counts as a valid answer beyond what MCP defines.
 */
const FIELD_KEYWORDS = new Set([
  'type',
  'title',
  'description',
  'minLength',
  'maxLength',
  'format',
  'minimum',
  'maximum',
  'default',
  'enum',
  'enumNames',
  'oneOf',
  'anyOf',
  'items',
  'minItems',
  'maxItems',
]);
const FORMATS = new Set(['email', 'uri', 'date', 'date-time']);
/** Formats that mark a field whose value never reaches an event or a log line. */
const SENSITIVE_FORMATS = new Set(['password']);

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A form elicitation's schema, reduced to what MCP allows, with a compiled validator. Invalid
 * content is refused before anything goes upstream (INVALID_INPUT); fields left out get the
 * schema's defaults, as MCP clients are expected to apply them (the conformance suite's
 * `elicitation-sep1034-client-defaults` scenario).
 */
export class InputForm {
  readonly schema: Schema;
  readonly #sensitive: ReadonlySet<string>;
  readonly #validate: ValidateFunction;

  private constructor(schema: Schema, sensitive: Set<string>, validate: ValidateFunction) {
    this.schema = schema;
    this.#sensitive = sensitive;
    this.#validate = validate;
  }

  /**
   * Reduces `requestedSchema` to the MCP subset and compiles it; undefined when it is not an
   * object schema of primitive fields (the request is then declined: no answer could be checked).
   */
  static from(requestedSchema: unknown): InputForm | undefined {
    if (!isObject(requestedSchema) || requestedSchema.type !== 'object') return undefined;
    const properties = requestedSchema.properties ?? {};
    if (!isObject(properties)) return undefined;
    const reduced: Record<string, Schema> = {};
    const sensitive = new Set<string>();
    for (const [name, field] of Object.entries(properties)) {
      const clean = reduceField(field);
      if (!clean) return undefined;
      reduced[name] = clean;
      if (typeof field === 'object' && SENSITIVE_FORMATS.has(String((field as Schema).format))) {
        sensitive.add(name);
      }
    }
    const required = Array.isArray(requestedSchema.required)
      ? requestedSchema.required.filter(
          (name): name is string => typeof name === 'string' && name in reduced,
        )
      : [];
    const schema: Schema = {
      type: 'object',
      properties: reduced,
      required,
      additionalProperties: false,
    };
    const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
    addFormats(ajv);
    try {
      return new InputForm(schema, sensitive, ajv.compile(schema));
    } catch {
      return undefined;
    }
  }

  /** Checks `content`; on success the result carries a copy with the schema's defaults filled in. */
  check(content: unknown): CheckedContent {
    const copy = isObject(content) ? structuredClone(content) : content;
    if (this.#validate(copy)) return { ok: true, content: copy as Record<string, unknown> };
    return { ok: false, problems: (this.#validate.errors ?? []).map(toProblem) };
  }

  /** `content` without the values of sensitive fields (they become `"[redacted]"`). */
  redact(content: Record<string, unknown>): Record<string, unknown> {
    if (this.#sensitive.size === 0) return content;
    const shown: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(content)) {
      shown[name] = this.#sensitive.has(name) ? '[redacted]' : value;
    }
    return shown;
  }
}

/** One field's schema reduced to the MCP keywords, or undefined when it is not a primitive. */
function reduceField(field: unknown): Schema | undefined {
  if (!isObject(field)) return undefined;
  const type = field.type;
  if (!['string', 'number', 'integer', 'boolean', 'array'].includes(String(type))) return undefined;
  const clean: Schema = {};
  for (const [keyword, value] of Object.entries(field)) {
    if (!FIELD_KEYWORDS.has(keyword)) continue;
    if (keyword === 'format') {
      // Unknown formats (password, say) are descriptive only: they constrain nothing.
      if (typeof value === 'string' && FORMATS.has(value)) clean.format = value;
      continue;
    }
    if (keyword === 'oneOf' || keyword === 'anyOf') {
      const consts = titledConsts(value);
      if (!consts) return undefined;
      clean[keyword] = consts;
      continue;
    }
    if (keyword === 'items') {
      if (type !== 'array' || !isObject(value)) return undefined;
      const items = value.enum !== undefined ? { type: 'string', enum: value.enum } : undefined;
      const titled = titledConsts(value.anyOf ?? value.oneOf);
      if (!items && !titled) return undefined;
      clean.items = items ?? { anyOf: titled };
      continue;
    }
    if (keyword === 'enumNames') continue;
    clean[keyword] = value;
  }
  if (type === 'array' && !clean.items) return undefined;
  return clean;
}

/** `[{const, title}]` lists as MCP's titled enums use them, or undefined when malformed. */
function titledConsts(value: unknown): Schema[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const consts: Schema[] = [];
  for (const option of value) {
    if (!isObject(option) || typeof option.const !== 'string') return undefined;
    consts.push({ const: option.const });
  }
  return consts;
}

function toProblem(error: ErrorObject): InputProblem {
  let pointer = `/content${error.instancePath}`;
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  if (property !== undefined) pointer += `/${property.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const message =
    error.keyword === 'required'
      ? 'is required'
      : error.keyword === 'additionalProperties'
        ? 'is not a field of the requested form'
        : (error.message ?? 'is invalid');
  return { pointer, message };
}
