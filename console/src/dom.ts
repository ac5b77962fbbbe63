// A few DOM helpers, so the console needs no framework: create elements with attributes and children, and replace
// a node's children.

type Child = Node | string | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined | EventListener>;

/** `<tag ...attributes>children</tag>`; `on…` attributes are listeners, `false`/`undefined` values are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.filter((child): child is Node | string => child !== false && child !== null && child !== undefined));
  return element;
}

/** Replaces the children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((child): child is Node | string => child !== false && child !== null && child !== undefined));
}

/** The element with `id`, which the page must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Reads something out to screen readers through the page's polite live region. */
export function announce(text: string): void {
  const region = byId('announcer');
  // A fresh text node each time, so the same words twice are read twice.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = text;
  }, 50);
}
