// Tiny DOM helpers. Text always goes in as text nodes (textContent), never as HTML: segment titles,
// snippets and file paths come from whatever the agent read, and must not be able to inject markup.

type Child = Node | string | null | undefined | false;
export interface Props {
  class?: string;
  id?: string;
  role?: string;
  title?: string;
  tabIndex?: number;
  type?: string;
  [attr: `aria-${string}`]: string | undefined;
  [attr: `data-${string}`]: string | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'tabIndex') el.tabIndex = Number(v);
    else el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export function icon(name: string, extra = ''): HTMLSpanElement {
  return h('span', { class: `codicon codicon-${name}${extra ? ' ' + extra : ''}`, 'aria-hidden': 'true' });
}

/** A toolbar-style icon button with an accessible name. */
export function iconButton(iconName: string, label: string, props: Props = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', class: `icon-button ${props.class ?? ''}`.trim(), title: label, 'aria-label': label, ...withoutClass(props) }, icon(iconName));
  return b;
}

export function button(label: string, props: Props = {}, iconName?: string): HTMLButtonElement {
  return h('button', { type: 'button', class: `button ${props.class ?? ''}`.trim(), ...withoutClass(props) }, iconName ? icon(iconName) : null, label);
}

function withoutClass(p: Props): Props {
  const { class: _c, ...rest } = p;
  return rest;
}

/** Renders `text` with the [start, end) ranges wrapped in <mark>, as text nodes. Bad ranges are skipped. */
export function highlighted(text: string, ranges: readonly (readonly [number, number])[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  const sorted = [...ranges].filter(([s, e]) => s >= 0 && e > s && e <= text.length).sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [s, e] of sorted) {
    if (s < at) continue;
    if (s > at) frag.appendChild(document.createTextNode(text.slice(at, s)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(s, e);
    frag.appendChild(mark);
    at = e;
  }
  if (at < text.length) frag.appendChild(document.createTextNode(text.slice(at)));
  return frag;
}
