/**
 * The chosen tool's form: generated from its `inputSchema`, with a raw JSON mode (always there
 * as a fallback) and the gateway's deadlines, and a button that starts the job.
 */
import type { JobOptions, Tool } from '../client/index.js';
import { h, replaceChildren, uid } from './dom.js';
import { createField, schemaForm, type SchemaForm } from './schema-form.js';

export interface StartRequest {
  server: string;
  tool: string;
  args: Record<string, unknown>;
  options: JobOptions;
}

export class RunPanel {
  readonly #root: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #start: (request: StartRequest) => Promise<void>;

  constructor(
    root: HTMLElement,
    heading: HTMLElement,
    start: (request: StartRequest) => Promise<void>,
  ) {
    this.#root = root;
    this.#heading = heading;
    this.#start = start;
  }

  /** Shows the form of `tool` and moves the focus to it. */
  show(server: string, tool: Tool): void {
    const form = schemaForm(tool.inputSchema);
    const timeout = createField({
      schema: { type: 'integer', minimum: 1, description: 'Hard deadline of the whole call' },
      name: 'timeoutMs',
      label: 'Timeout (ms)',
      required: false,
      enforce: true,
    });
    const idleTimeout = createField({
      schema: { type: 'integer', minimum: 1, description: 'Restarted by each progress report' },
      name: 'idleTimeoutMs',
      label: 'Idle timeout (ms)',
      required: false,
      enforce: true,
    });

    const rawId = uid('raw');
    const raw = h('textarea', { id: rawId, rows: 8, spellcheck: false, class: 'code' });
    raw.addEventListener('input', () => checkJson(raw));
    const rawGroup = h(
      'fieldset',
      { class: 'plain', hidden: true, disabled: true },
      h('div', { class: 'field' }, h('label', { htmlFor: rawId }, 'Arguments (JSON object)'), raw),
    );
    const generated = h('fieldset', { class: 'plain' }, form.element);
    const toggleId = uid('raw-toggle');
    const toggle = h('input', { type: 'checkbox', id: toggleId });
    const error = h('p', { class: 'error-text', attrs: { role: 'alert' } });
    const submit = h('button', { type: 'submit' }, 'Start job');

    const setRaw = (on: boolean) => {
      generated.hidden = generated.disabled = on;
      rawGroup.hidden = rawGroup.disabled = !on;
      toggle.checked = on;
    };
    toggle.addEventListener('change', () => {
      if (toggle.checked) {
        raw.value = JSON.stringify(form.read(), null, 2);
        checkJson(raw);
        setRaw(true);
        return;
      }
      // Back to the form: it takes over what was typed as JSON, if that is valid.
      try {
        form.write(JSON.parse(raw.value || '{}'));
        setRaw(false);
      } catch {
        toggle.checked = true;
        raw.reportValidity();
      }
    });

    const element = h(
      'form',
      { class: 'run-form', attrs: { 'aria-labelledby': this.#heading.id } },
      h(
        'p',
        { class: 'run-tool' },
        h('strong', {}, tool.title ?? tool.name),
        ` — ${tool.name} on ${server}`,
      ),
      tool.description ? h('p', { class: 'hint' }, tool.description) : null,
      form.generated
        ? h(
            'div',
            { class: 'field field-inline' },
            toggle,
            h('label', { htmlFor: toggleId }, 'Edit arguments as JSON'),
          )
        : h('p', { class: 'hint' }, 'This tool’s arguments are entered as JSON.'),
      generated,
      rawGroup,
      h(
        'details',
        { class: 'options' },
        h('summary', {}, 'Deadlines (optional)'),
        timeout.element,
        idleTimeout.element,
      ),
      h('div', { class: 'buttons' }, submit),
      error,
    );
    if (form.generated) element.dataset.generated = 'true';

    element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit(server, tool, form, {
        raw: toggle.checked ? raw : undefined,
        options: { timeoutMs: timeout.read(), idleTimeoutMs: idleTimeout.read() },
        submit,
        error,
      });
    });
    replaceChildren(this.#root, element);
    this.#heading.textContent = `Start a job: ${tool.name}`;
    this.#heading.focus();
  }

  async #submit(
    server: string,
    tool: Tool,
    form: SchemaForm,
    parts: {
      raw: HTMLTextAreaElement | undefined;
      options: { timeoutMs: unknown; idleTimeoutMs: unknown };
      submit: HTMLButtonElement;
      error: HTMLElement;
    },
  ): Promise<void> {
    const { raw, submit, error } = parts;
    let args: unknown;
    try {
      args = raw ? JSON.parse(raw.value || '{}') : form.read();
    } catch (e) {
      error.textContent = `The arguments are not valid JSON: ${(e as Error).message}`;
      return;
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      error.textContent = 'The arguments must be a JSON object.';
      return;
    }
    const options: JobOptions = {};
    if (typeof parts.options.timeoutMs === 'number') options.timeoutMs = parts.options.timeoutMs;
    if (typeof parts.options.idleTimeoutMs === 'number') {
      options.idleTimeoutMs = parts.options.idleTimeoutMs;
    }
    error.textContent = '';
    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      await this.#start({
        server,
        tool: tool.name,
        args: args as Record<string, unknown>,
        options,
      });
    } catch (e) {
      error.textContent = describeStartError(e);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Start job';
    }
  }
}

function checkJson(area: HTMLTextAreaElement): void {
  try {
    JSON.parse(area.value || '{}');
    area.setCustomValidity('');
  } catch (e) {
    area.setCustomValidity(`Not valid JSON: ${(e as Error).message}`);
  }
}

/** The gateway's problem, with each invalid argument it names. */
function describeStartError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const problem = (error as { problem?: { errors?: { pointer: string; message: string }[] } })
    .problem;
  const details = problem?.errors?.map((e) => `${e.pointer || '/'} ${e.message}`) ?? [];
  return details.length > 0 && !message.includes(details[0]!)
    ? `${message} (${details.join('; ')})`
    : message;
}
