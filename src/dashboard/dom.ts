/** A few DOM helpers: the dashboard builds its markup with these, never with innerHTML. */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Event listeners, e.g. `{ click: () => ... }`. */
  on?: Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
  /** Attributes (`aria-*`, `data-*`, `role`, `for`, ...); `false`/`null` leaves one out. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** Properties to assign (`type`, `value`, `checked`, `disabled`, ...). */
  [property: string]: unknown;
}

/** `h('button', { class: 'x', on: { click } }, 'Label')`: an element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === 'class') element.className = String(value);
    else if (key === 'on') {
      for (const [type, listener] of Object.entries(value as Props['on'] & object)) {
        element.addEventListener(type, listener as EventListener);
      }
    } else if (key === 'attrs') {
      for (const [name, attr] of Object.entries(value as Record<string, unknown>)) {
        if (attr === false || attr === null || attr === undefined) continue;
        element.setAttribute(name, attr === true ? '' : String(attr));
      }
    } else (element as unknown as Record<string, unknown>)[key] = value;
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping empty ones; strings become text nodes (never markup). */
export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all of `parent`'s children. */
export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let ids = 0;
/** A document-unique id, for `for`/`aria-describedby` pairs. */
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`;
}

/** The element with this id, which the page's HTML must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** `1.2 s`, `42 s`, `3 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
