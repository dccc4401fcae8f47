/**
 * A form generated from a tool's `inputSchema` (JSON Schema): strings, numbers and integers (with
 * their bounds), booleans, enums (a select), nested objects (a fieldset), arrays (rows to add and
 * remove) and, for anything else (unions, `$ref`, tuples...), a JSON text area. Constraints become
 * HTML constraints, so the browser's own validation explains what is wrong, accessibly.
 */
import { h, uid } from './dom.js';

export type JsonSchema = Record<string, unknown>;

/** One generated input (or group of inputs) and its value. */
export interface Field {
  readonly element: HTMLElement;
  /** The value entered, or `undefined` for an optional field left empty. */
  read(): unknown;
  /** Shows `value` (`undefined` empties the field). */
  write(value: unknown): void;
}

/** The form for a whole tool: its fields, or `generated: false` when only JSON will do. */
export interface SchemaForm extends Field {
  readonly generated: boolean;
}

type Kind =
  'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'const' | 'object' | 'array' | 'json';

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What kind of input a schema gets; a `null` alternative only makes the field optional. */
export function classify(schema: unknown): { kind: Kind; schema: JsonSchema } {
  if (!isObject(schema)) return { kind: 'json', schema: {} };
  if ('const' in schema) return { kind: 'const', schema };
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    const primitive = schema.enum.every((v) => v === null || typeof v !== 'object');
    return { kind: primitive ? 'enum' : 'json', schema };
  }
  let s = schema;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (!Array.isArray(options)) continue;
    const real = options.filter((o) => !(isObject(o) && o.type === 'null'));
    if (real.length !== 1 || !isObject(real[0])) return { kind: 'json', schema };
    const { [key]: _dropped, ...outer } = s;
    s = { ...real[0], ...outer };
  }
  if ('$ref' in s || 'allOf' in s || 'not' in s || 'if' in s) return { kind: 'json', schema: s };
  let type = s.type;
  if (Array.isArray(type)) {
    const real = type.filter((t) => t !== 'null');
    type = real.length === 1 ? real[0] : undefined;
    if (type === undefined) return { kind: 'json', schema: s };
  }
  if (type === undefined)
    type = isObject(s.properties) ? 'object' : isObject(s.items) ? 'array' : '';
  switch (type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
      return { kind: type, schema: s };
    case 'object':
      return {
        kind: isObject(s.properties) && Object.keys(s.properties).length > 0 ? 'object' : 'json',
        schema: s,
      };
    case 'array':
      return { kind: isObject(s.items) ? 'array' : 'json', schema: s };
    default:
      return { kind: 'json', schema: s };
  }
}

interface FieldSpec {
  schema: unknown;
  /** The property name (or `item N` for an array row). */
  name: string;
  /** Whether the value must be present. */
  required: boolean;
  /**
   * Whether the browser enforces `required`: not inside an optional object or array, where an
   * untouched group is simply left out.
   */
  enforce: boolean;
  /** A label that says more than `name` (array rows: `tags item 2`). */
  label?: string;
  /** An array row: always there while it exists, so not marked as required. */
  item?: boolean;
}

/** The asterisk after a required field's label (screen readers hear `required` instead). */
const marker = (spec: FieldSpec) =>
  spec.required && !spec.item
    ? h('span', { class: 'required', attrs: { 'aria-hidden': 'true' } }, ' *')
    : null;

/**
 * The form for a tool's `inputSchema`. Its `read()` gives the arguments (optional fields left
 * empty are left out); check `form.reportValidity()` first, as the browser does on submit.
 */
export function schemaForm(inputSchema: unknown): SchemaForm {
  const { kind, schema } = classify(inputSchema);
  if (takesNoArguments(schema)) {
    return {
      element: h('p', { class: 'hint' }, 'This tool takes no arguments.'),
      generated: true,
      read: () => ({}),
      write: () => {},
    };
  }
  if (kind !== 'object') {
    const field = jsonField({
      schema: inputSchema,
      name: 'arguments',
      required: false,
      enforce: true,
    });
    return { ...field, read: () => field.read() ?? {}, generated: false };
  }
  const fields = objectFields(schema, true);
  const element = h(
    'div',
    { class: 'fields' },
    fields.map(([, f]) => f.element),
  );
  const form: SchemaForm = {
    element,
    generated: true,
    read: () => readObject(fields, true) ?? {},
    write: (value) => writeObject(fields, value),
  };
  return form;
}

/** `{type: "object", properties: {}}`, as tools without parameters declare themselves. */
function takesNoArguments(schema: JsonSchema): boolean {
  const { properties, additionalProperties } = schema;
  return (
    schema.type === 'object' &&
    (properties === undefined || (isObject(properties) && Object.keys(properties).length === 0)) &&
    (additionalProperties === undefined || additionalProperties === false)
  );
}

function objectFields(schema: JsonSchema, enforce: boolean): [string, Field][] {
  const properties = schema.properties as Record<string, unknown>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, property]) => [
    name,
    createField({ schema: property, name, required: required.has(name), enforce }),
  ]);
}

function readObject(
  fields: [string, Field][],
  required: boolean,
): Record<string, unknown> | undefined {
  const value: Record<string, unknown> = {};
  for (const [name, field] of fields) {
    const v = field.read();
    if (v !== undefined) value[name] = v;
  }
  return !required && Object.keys(value).length === 0 ? undefined : value;
}

function writeObject(fields: [string, Field][], value: unknown): void {
  const object = isObject(value) ? value : {};
  for (const [name, field] of fields) field.write(object[name]);
}

export function createField(spec: FieldSpec): Field {
  const { kind, schema } = classify(spec.schema);
  const resolved = { ...spec, schema };
  let field: Field;
  switch (kind) {
    case 'string':
      field = stringField(resolved);
      break;
    case 'number':
    case 'integer':
      field = numberField(resolved, kind === 'integer');
      break;
    case 'boolean':
      field = booleanField(resolved);
      break;
    case 'enum':
      field = enumField(resolved);
      break;
    case 'const':
      field = constField(resolved);
      break;
    case 'object':
      field = objectField(resolved);
      break;
    case 'array':
      field = arrayField(resolved);
      break;
    default:
      field = jsonField(resolved);
  }
  if ('default' in schema) field.write(schema.default);
  return field;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** The label's text: the schema's `title`, else the property name. */
const labelOf = (spec: FieldSpec): string =>
  spec.label ?? text((spec.schema as JsonSchema).title) ?? spec.name;

/** The help line: description, bounds and default. */
function hintOf(schema: JsonSchema, extra: string[] = []): string {
  const parts: string[] = [];
  const description = text(schema.description);
  if (description) parts.push(description);
  parts.push(...extra);
  if ('default' in schema && schema.default !== undefined && !isObject(schema.default)) {
    parts.push(`default ${JSON.stringify(schema.default)}`);
  }
  return parts.join(' · ');
}

/** A label, the control and its hint, tied together by `for` and `aria-describedby`. */
function wrap(
  spec: FieldSpec,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint: string,
  inline = false,
): HTMLElement {
  control.id = uid('field');
  control.name = spec.name;
  if (
    spec.required &&
    spec.enforce &&
    !(control instanceof HTMLInputElement && control.type === 'checkbox')
  ) {
    control.required = true;
  }
  const hintElement = hint ? h('small', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  const label = h('label', { htmlFor: control.id }, labelOf(spec), marker(spec));
  return inline
    ? h('div', { class: 'field field-inline' }, control, label, hintElement)
    : h('div', { class: 'field' }, label, control, hintElement);
}

function stringField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : undefined;
  const long = maxLength !== undefined && maxLength > 200;
  const input = long ? h('textarea', { rows: 3 }) : h('input', { type: inputType(schema.format) });
  if (maxLength !== undefined) input.maxLength = maxLength;
  if (minLength !== undefined) input.minLength = minLength;
  const extra: string[] = [];
  if (typeof schema.pattern === 'string') extra.push(`pattern ${schema.pattern}`);
  if (typeof schema.format === 'string') extra.push(`format ${schema.format}`);
  return {
    element: wrap(spec, input, hintOf(schema, extra)),
    read: () => (input.value === '' && !spec.required ? undefined : input.value),
    write: (value) => (input.value = typeof value === 'string' ? value : ''),
  };
}

function inputType(format: unknown): string {
  switch (format) {
    case 'email':
      return 'email';
    case 'uri':
    case 'url':
      return 'url';
    case 'date':
      return 'date';
    default:
      return 'text';
  }
}

function numberField(spec: FieldSpec, integer: boolean): Field {
  const schema = spec.schema as JsonSchema;
  const input = h('input', { type: 'number', step: integer ? '1' : 'any' });
  input.inputMode = integer ? 'numeric' : 'decimal';
  const bound = (inclusive: unknown, exclusive: unknown, direction: 1 | -1): number | undefined => {
    if (typeof inclusive === 'number') return inclusive;
    if (typeof exclusive === 'number') return integer ? exclusive + direction : exclusive;
    return undefined;
  };
  const min = bound(schema.minimum, schema.exclusiveMinimum, 1);
  const max = bound(schema.maximum, schema.exclusiveMaximum, -1);
  if (min !== undefined) input.min = String(min);
  if (max !== undefined) input.max = String(max);
  const shown = (n: number | undefined) =>
    n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER ? n : undefined;
  const extra: string[] = [integer ? 'a whole number' : 'a number'];
  if (shown(min) !== undefined && shown(max) !== undefined) extra.push(`${min} to ${max}`);
  else if (shown(min) !== undefined) extra.push(`at least ${min}`);
  else if (shown(max) !== undefined) extra.push(`at most ${max}`);
  return {
    element: wrap(spec, input, hintOf(schema, extra)),
    read: () => (input.value === '' ? undefined : Number(input.value)),
    write: (value) => (input.value = typeof value === 'number' ? String(value) : ''),
  };
}

function booleanField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const input = h('input', { type: 'checkbox' });
  // An optional flag nobody touched is left out, rather than sent as `false`.
  let set = spec.required;
  input.addEventListener('change', () => (set = true));
  return {
    element: wrap(spec, input, hintOf(schema), true),
    read: () => (set || input.checked ? input.checked : undefined),
    write: (value) => {
      input.checked = value === true;
      set = spec.required || typeof value === 'boolean';
    },
  };
}

function enumField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const values = schema.enum as unknown[];
  const select = h(
    'select',
    {},
    spec.required ? null : h('option', { value: '' }, '(not set)'),
    values.map((v, i) =>
      h('option', { value: String(i) }, typeof v === 'string' ? v : JSON.stringify(v)),
    ),
  );
  return {
    element: wrap(spec, select, hintOf(schema)),
    read: () => (select.value === '' ? undefined : values[Number(select.value)]),
    write: (value) => {
      const index = values.findIndex((v) => JSON.stringify(v) === JSON.stringify(value));
      select.value = index === -1 ? (spec.required ? '0' : '') : String(index);
    },
  };
}

function constField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const output = h('input', { type: 'text', readOnly: true, value: JSON.stringify(schema.const) });
  return {
    element: wrap(spec, output, hintOf(schema, ['fixed value'])),
    read: () => schema.const,
    write: () => {},
  };
}

function objectField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const fields = objectFields(schema, spec.enforce && spec.required);
  const hint = hintOf(schema);
  const hintElement = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null;
  const element = h(
    'fieldset',
    { class: 'group', attrs: { 'aria-describedby': hintElement?.id } },
    h('legend', {}, labelOf(spec), marker(spec)),
    hintElement,
    fields.map(([, f]) => f.element),
  );
  return {
    element,
    read: () => readObject(fields, spec.required),
    write: (value) => writeObject(fields, value),
  };
}

function arrayField(spec: FieldSpec): Field {
  const schema = spec.schema as JsonSchema;
  const itemSchema = schema.items;
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const name = labelOf(spec);
  const rows: { item: Field; li: HTMLLIElement }[] = [];
  const list = h('ol', { class: 'rows' });
  const add = h('button', { type: 'button', class: 'secondary' }, `Add ${name} item`);
  const extra: string[] = [];
  if (minItems > 0) extra.push(`at least ${minItems}`);
  if (maxItems !== Infinity) extra.push(`at most ${maxItems}`);
  const hint = hintOf(schema, extra);
  const hintElement = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null;

  const refresh = () => {
    add.disabled = rows.length >= maxItems;
    rows.forEach((row, i) => {
      const remove = row.li.querySelector<HTMLButtonElement>(':scope > button.remove')!;
      remove.disabled = rows.length <= minItems;
      remove.setAttribute('aria-label', `Remove ${name} item ${i + 1}`);
    });
  };
  const addRow = (value?: unknown) => {
    const index = rows.length + 1;
    const item = createField({
      schema: itemSchema,
      name: `${spec.name}[${index - 1}]`,
      label: `${name} item ${index}`,
      required: true,
      item: true,
      enforce: spec.enforce,
    });
    if (value !== undefined) item.write(value);
    const remove = h('button', { type: 'button', class: 'remove secondary' }, 'Remove');
    const li = h('li', {}, item.element, remove);
    const row = { item, li };
    remove.addEventListener('click', () => {
      const at = rows.indexOf(row);
      write(rows.filter((r) => r !== row).map((r) => r.item.read()));
      // Keep the keyboard where it was: on the row that took this one's place, else on Add.
      const next = rows[Math.min(at, rows.length - 1)];
      (next?.li.querySelector<HTMLElement>('input, select, textarea') ?? add).focus();
    });
    rows.push(row);
    list.append(li);
    refresh();
    return item;
  };
  const write = (value: unknown) => {
    rows.length = 0;
    list.replaceChildren();
    const values = Array.isArray(value) ? value : [];
    for (const v of values) addRow(v);
    while (rows.length < minItems) addRow();
    refresh();
  };
  add.addEventListener('click', () => {
    addRow();
    rows.at(-1)?.li.querySelector<HTMLElement>('input, select, textarea')?.focus();
  });
  write(undefined);
  const element = h(
    'fieldset',
    { class: 'group array', attrs: { 'aria-describedby': hintElement?.id } },
    h('legend', {}, name, marker(spec)),
    hintElement,
    list,
    add,
  );
  return {
    element,
    read: () => {
      const values = rows.map((r) => r.item.read()).filter((v) => v !== undefined);
      return values.length === 0 && !spec.required ? undefined : values;
    },
    write,
  };
}

/** A JSON text area, for schemas the form does not model; invalid JSON blocks submitting. */
export function jsonField(spec: FieldSpec): Field {
  const schema = isObject(spec.schema) ? spec.schema : {};
  const area = h('textarea', { rows: 4, spellcheck: false, class: 'code' });
  const check = () => {
    let message = '';
    if (area.value.trim() !== '') {
      try {
        JSON.parse(area.value);
      } catch (error) {
        message = `Not valid JSON: ${(error as Error).message}`;
      }
    }
    area.setCustomValidity(message);
  };
  area.addEventListener('input', check);
  const described = isObject(spec.schema) ? JSON.stringify(spec.schema) : '';
  const extra = ['JSON'];
  if (described && described.length <= 160) extra.push(`schema ${described}`);
  return {
    element: wrap(spec, area, hintOf(schema, extra)),
    read: () => (area.value.trim() === '' ? undefined : (JSON.parse(area.value) as unknown)),
    write: (value) => {
      area.value = value === undefined ? '' : JSON.stringify(value, null, 2);
      check();
    },
  };
}
