/**
 * The upstreams with their state, and each one's tools as buttons that open the tool's form.
 * Updated in place, so a periodic refresh never takes the keyboard focus away.
 */
import type { ServerStatus, Tool } from '../client/index.js';
import { h, replaceChildren, uid } from './dom.js';

/** An upstream's tools, or why they could not be listed. */
export type ToolsState = { tools: Tool[] } | { error: string } | undefined;

interface ServerItem {
  li: HTMLLIElement;
  badge: HTMLElement;
  meta: HTMLElement;
  error: HTMLElement;
  tools: HTMLElement;
  toolsKey: string;
}

export class ServersView {
  readonly #list: HTMLElement;
  readonly #onChoose: (server: string, tool: Tool) => void;
  readonly #items = new Map<string, ServerItem>();
  #selected: { server: string; tool: string } | undefined;

  constructor(list: HTMLElement, onChoose: (server: string, tool: Tool) => void) {
    this.#list = list;
    this.#onChoose = onChoose;
  }

  render(servers: ServerStatus[], tools: ReadonlyMap<string, ToolsState>): void {
    if (servers.length === 0) {
      this.#items.clear();
      replaceChildren(this.#list, h('li', { class: 'empty' }, 'No upstreams are configured.'));
      return;
    }
    const names = new Set(servers.map((s) => s.name));
    for (const [name, item] of this.#items) {
      if (!names.has(name)) {
        item.li.remove();
        this.#items.delete(name);
      }
    }
    this.#list.querySelector(':scope > li.empty')?.remove();
    for (const server of servers) {
      const item = this.#items.get(server.name) ?? this.#create(server.name);
      this.#list.append(item.li);
      this.#update(item, server, tools.get(server.name));
    }
  }

  /** A message in place of the list (no key yet, say). */
  message(text: string): void {
    this.#items.clear();
    replaceChildren(this.#list, h('li', { class: 'empty' }, text));
  }

  /** Marks the chosen tool's button as pressed. */
  select(server: string, tool: string): void {
    this.#selected = { server, tool };
    for (const [name, item] of this.#items) {
      item.tools.querySelectorAll<HTMLButtonElement>('button.tool').forEach((button) => {
        const pressed = name === server && button.dataset.tool === tool;
        button.setAttribute('aria-pressed', String(pressed));
      });
    }
  }

  #create(name: string): ServerItem {
    const titleId = uid('server');
    const item: ServerItem = {
      li: h('li', { class: 'server', attrs: { 'data-server': name, 'aria-labelledby': titleId } }),
      badge: h('span', { class: 'badge state' }),
      meta: h('p', { class: 'meta' }),
      error: h('p', { class: 'error-text', hidden: true }),
      tools: h('div', { class: 'tools' }),
      toolsKey: '',
    };
    // Folded on a phone, where long tool lists would push the form and the jobs far down.
    const folder = h(
      'details',
      { class: 'tool-folder', open: !matchMedia('(max-width: 760px)').matches },
      h('summary', {}, 'Tools'),
      item.tools,
    );
    item.li.append(
      h('div', { class: 'server-head' }, h('h3', { id: titleId }, name), item.badge),
      item.meta,
      item.error,
      folder,
    );
    this.#items.set(name, item);
    return item;
  }

  #update(item: ServerItem, server: ServerStatus, tools: ToolsState): void {
    item.li.dataset.state = server.state;
    item.badge.textContent = server.state;
    item.badge.dataset.state = server.state;
    const count = server.toolCount ?? (tools && 'tools' in tools ? tools.tools.length : null);
    item.meta.textContent = [
      server.transport,
      count === null ? null : `${count} tool${count === 1 ? '' : 's'}`,
      server.activeCalls > 0 ? `${server.activeCalls} running` : null,
    ]
      .filter(Boolean)
      .join(' · ');
    item.error.hidden = !server.lastError;
    item.error.textContent = server.lastError ? `Last error: ${server.lastError}` : '';

    const key = JSON.stringify(tools ?? null);
    if (key === item.toolsKey) return;
    item.toolsKey = key;
    if (!tools) {
      replaceChildren(item.tools, h('p', { class: 'empty' }, 'Loading tools…'));
    } else if ('error' in tools) {
      replaceChildren(item.tools, h('p', { class: 'empty' }, `Tools unavailable: ${tools.error}`));
    } else if (tools.tools.length === 0) {
      replaceChildren(item.tools, h('p', { class: 'empty' }, 'No tools.'));
    } else {
      const focused = item.tools.contains(document.activeElement)
        ? (document.activeElement as HTMLElement).dataset.tool
        : undefined;
      replaceChildren(
        item.tools,
        h(
          'ul',
          { class: 'tool-list', attrs: { 'aria-label': `Tools of ${server.name}` } },
          tools.tools.map((tool) => this.#toolItem(server.name, tool)),
        ),
      );
      if (focused)
        item.tools.querySelector<HTMLElement>(`[data-tool="${CSS.escape(focused)}"]`)?.focus();
    }
  }

  #toolItem(server: string, tool: Tool): HTMLLIElement {
    const descriptionId = uid('tool-desc');
    const pressed = this.#selected?.server === server && this.#selected.tool === tool.name;
    const summary = [tool.title, tool.description].filter(Boolean).join(' — ');
    return h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'tool',
          attrs: {
            'data-tool': tool.name,
            'aria-pressed': String(pressed),
            'aria-describedby': summary ? descriptionId : null,
          },
          on: { click: () => this.#onChoose(server, tool) },
        },
        tool.name,
      ),
      summary ? h('span', { class: 'tool-desc', id: descriptionId }, summary) : null,
    );
  }
}
