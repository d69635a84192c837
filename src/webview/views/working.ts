// The Working set tab: every segment in context, grouped by task, file or type (or not), sorted by recency
// or tokens, filtered by a text box, in a virtualised list. Per row: pin/unpin, stash, open the file at the
// range, copy the text, delete (asks first, inline). Keyboard: the list is one tab stop; arrows move,
// Enter opens, P pins, S stashes, C copies, Delete asks to delete (Enter confirms, Escape cancels),
// Left/Right or Enter fold a group.

import {
  CopySegmentRequest,
  DeleteRequest,
  OpenSegmentRequest,
  PinRequest,
  StashRequest,
  UnpinRequest,
  type SegmentRow,
} from '../../protocol/webview';
import type { PanelContext } from '../context';
import { button, h, icon, iconButton, replace } from '../dom';
import { age, compact, fmt, lines, plural, shortPath, TYPE_ICON, TYPE_LABEL } from '../format';
import { GROUPS, SORTS } from '../state';
import { VirtualList } from '../virtualList';

export type WorkingItem =
  | { kind: 'group'; key: string; label: string; icon: string; count: number; tokens: number; collapsed: boolean }
  | { kind: 'row'; row: SegmentRow; pos: number; size: number };

export const ROW_HEIGHT = 42;
export const GROUP_HEIGHT = 26;

const GROUP_LABEL: Record<(typeof GROUPS)[number], string> = { none: 'No grouping', task: 'Group by task', file: 'Group by file', type: 'Group by type' };
const SORT_LABEL: Record<(typeof SORTS)[number], string> = { recent: 'Most recent first', tokens: 'Largest first' };

/** The rows that match `filter` (every word must appear in the title, file, task, type or tags). */
export function matchRows(rows: readonly SegmentRow[], filter: string, hay: (r: SegmentRow) => string): SegmentRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows.slice();
  return rows.filter((r) => {
    const s = hay(r);
    return words.every((w) => s.includes(w));
  });
}

export class WorkingSetView {
  readonly element: HTMLElement;
  readonly list: VirtualList<WorkingItem>;
  private readonly filter: HTMLInputElement;
  private readonly groupSel: HTMLSelectElement;
  private readonly sortSel: HTMLSelectElement;
  private readonly summary: HTMLElement;
  private readonly empty: HTMLElement;
  private confirmId: number | null = null;
  private readonly busy = new Set<number>();
  private readonly hayCache = new WeakMap<SegmentRow, string>();
  /** How long the last rebuild (filter, sort, group, render) took, in ms (tests and the footer read it). */
  lastBuildMs = 0;

  constructor(private readonly ctx: PanelContext) {
    const ui = ctx.ui.value;
    this.filter = h('input', { type: 'search', class: 'input filter', 'aria-label': 'Filter the working set', id: 'working-filter' });
    this.filter.placeholder = 'Filter by title, file, task or type';
    this.filter.value = ui.filter;
    let t: ReturnType<typeof setTimeout> | undefined;
    this.filter.addEventListener('input', () => {
      if (t !== undefined) clearTimeout(t);
      t = setTimeout(() => {
        ctx.ui.update((s) => (s.filter = this.filter.value));
        this.rebuild();
      }, 60);
    });
    this.filter.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.filter.value !== '') {
        this.filter.value = '';
        ctx.ui.update((s) => (s.filter = ''));
        this.rebuild();
      } else if (ev.key === 'ArrowDown') {
        ev.preventDefault();
        this.list.element.focus();
        if (this.list.activeIndex < 0) this.list.setActive(0);
      }
    });
    this.groupSel = this.select('Group', GROUPS, GROUP_LABEL, ui.groupBy, (v) => ctx.ui.update((s) => (s.groupBy = v)));
    this.sortSel = this.select('Sort', SORTS, SORT_LABEL, ui.sort, (v) => ctx.ui.update((s) => (s.sort = v)));
    this.summary = h('div', { class: 'list-summary muted', 'aria-live': 'polite', 'data-testid': 'working-summary' });
    this.empty = h('div', { class: 'empty-state' });
    this.list = new VirtualList<WorkingItem>({
      label: 'Segments in context',
      className: 'working-list',
      heightOf: (it) => (it.kind === 'group' ? GROUP_HEIGHT : ROW_HEIGHT),
      kindOf: (it) => it.kind,
      idOf: (it) => (it.kind === 'group' ? `ws-group-${cssKey(it.key)}` : `ws-row-${it.row.id}`),
      create: (kind) => (kind === 'group' ? this.createGroup() : this.createRow()),
      render: (el, it, _i, active) => (it.kind === 'group' ? this.renderGroup(el, it, active) : this.renderRow(el, it, active)),
      onActivate: (it) => (it.kind === 'group' ? this.toggleGroup(it.key) : this.confirmId === it.row.id ? void this.remove(it.row) : void this.open(it.row)),
      onKey: (ev, it) => this.onKey(ev, it),
      onScroll: (top) => ctx.ui.update((s) => (s.workingScroll = top)),
    });
    this.list.element.addEventListener('click', (ev) => this.onClick(ev));
    this.list.element.addEventListener('dblclick', (ev) => {
      const item = this.itemOf(ev.target as HTMLElement);
      if (item?.kind === 'row' && !(ev.target as HTMLElement).closest('button')) void this.open(item.row);
    });
    this.element = h(
      'div',
      { class: 'working' },
      h('div', { class: 'toolbar' }, h('div', { class: 'filter-box' }, icon('filter', 'muted'), this.filter)),
      h('div', { class: 'toolbar' }, this.groupSel, this.sortSel),
      this.summary,
      this.empty,
      this.list.element,
    );
  }

  private select<V extends string>(label: string, values: readonly V[], labels: Record<V, string>, value: V, set: (v: V) => void): HTMLSelectElement {
    const sel = h('select', { class: 'select', 'aria-label': label, 'data-testid': `working-${label.toLowerCase()}` }, ...values.map((v) => {
      const o = h('option', {}, labels[v]);
      o.value = v;
      return o;
    }));
    sel.value = value;
    sel.addEventListener('change', () => {
      set(sel.value as V);
      this.rebuild();
    });
    return sel;
  }

  /** Called when the host pushed new rows, or a setting changed. */
  update(): void {
    this.rebuild();
  }

  /** The tab became visible: lay the list out again (it had no size while hidden). */
  shown(): void {
    const saved = this.ctx.ui.value.workingScroll;
    this.list.refresh();
    if (saved > 0 && this.list.element.scrollTop === 0) this.list.scrollTop = saved;
  }

  focus(): void {
    this.list.element.focus();
  }

  private hay(r: SegmentRow): string {
    let s = this.hayCache.get(r);
    if (s === undefined) {
      s = `${r.title}\n${r.file ?? ''}\n${r.taskId ?? ''}\n${r.type}\n${r.tags.join(' ')}`.toLowerCase();
      this.hayCache.set(r, s);
    }
    return s;
  }

  rebuild(): void {
    const t0 = performance.now();
    const ws = this.ctx.data.working;
    const ui = this.ctx.ui.value;
    if (!ws) {
      this.list.setItems([]);
      this.showEmpty(this.ctx.data.status.kind === 'error' ? null : h('p', { class: 'muted' }, icon('loading', 'codicon-modifier-spin'), ' Loading the working set…'));
      replace(this.summary, '');
      return;
    }
    const rows = matchRows(ws.rows, ui.filter, (r) => this.hay(r));
    const sort = ui.sort === 'tokens' ? (a: SegmentRow, b: SegmentRow) => b.tokens - a.tokens || a.id - b.id : (a: SegmentRow, b: SegmentRow) => b.touchedAt - a.touchedAt || b.id - a.id;
    rows.sort(sort);
    const items: WorkingItem[] = [];
    if (ui.groupBy === 'none') {
      rows.forEach((row, i) => items.push({ kind: 'row', row, pos: i + 1, size: rows.length }));
    } else {
      const groups = new Map<string, SegmentRow[]>();
      const keyOf = ui.groupBy === 'task' ? (r: SegmentRow) => r.taskId ?? '' : ui.groupBy === 'file' ? (r: SegmentRow) => r.file ?? '' : (r: SegmentRow) => r.type;
      for (const r of rows) {
        const k = keyOf(r);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = []));
        g.push(r);
      }
      const collapsed = new Set(ui.collapsed);
      const ordered = [...groups.entries()].map(([k, g]) => ({ k, g, tokens: g.reduce((s, r) => s + r.tokens, 0) })).sort((a, b) => b.tokens - a.tokens || a.k.localeCompare(b.k));
      for (const { k, g, tokens } of ordered) {
        const key = `${ui.groupBy}:${k}`;
        const isCollapsed = collapsed.has(key);
        items.push({ kind: 'group', key, label: this.groupLabel(ui.groupBy, k), icon: this.groupIcon(ui.groupBy, k), count: g.length, tokens, collapsed: isCollapsed });
        if (!isCollapsed) g.forEach((row, i) => items.push({ kind: 'row', row, pos: i + 1, size: g.length }));
      }
    }
    this.list.setItems(items);
    const tokens = rows.reduce((s, r) => s + r.tokens, 0);
    if (ws.rows.length === 0) {
      this.showEmpty(
        h('div', {}, icon('inbox', 'big muted'), h('p', {}, 'Nothing in context yet.'), h('p', { class: 'muted' }, 'Open a file or let the agent work: what it reads and writes shows up here. Stashed segments can be brought back from the Stash tab.'), this.gotoStash()),
      );
      replace(this.summary, '');
    } else if (rows.length === 0) {
      const clear = button('Clear filter', { class: 'secondary', 'data-action': 'clear-filter' });
      clear.addEventListener('click', () => {
        this.filter.value = '';
        this.ctx.ui.update((s) => (s.filter = ''));
        this.rebuild();
        this.filter.focus();
      });
      this.showEmpty(h('div', {}, h('p', {}, `No segment matches “${ui.filter}”.`), h('p', { class: 'muted' }, 'Every word must appear in the title, file, task, type or tags.'), clear));
      replace(this.summary, `0 of ${plural(ws.total, 'segment')}`);
    } else {
      this.showEmpty(null);
      const of = rows.length === ws.rows.length ? plural(rows.length, 'segment') : `${fmt(rows.length)} of ${plural(ws.rows.length, 'segment')}`;
      replace(this.summary, `${of} · ${fmt(tokens)} tokens`, ws.truncated ? ` · showing the ${fmt(ws.rows.length)} most recent of ${fmt(ws.total)}` : '');
    }
    this.lastBuildMs = performance.now() - t0;
  }

  private gotoStash(): HTMLElement {
    const b = button('Search the stash', { class: 'secondary', 'data-action': 'goto-stash' }, 'search');
    b.addEventListener('click', () => this.ctx.showTab('stash', true));
    return b;
  }

  private showEmpty(content: HTMLElement | null): void {
    replace(this.empty, content);
    this.empty.hidden = content === null;
    this.list.element.hidden = content !== null;
  }

  private groupLabel(by: string, k: string): string {
    if (by === 'type') return TYPE_LABEL[k as SegmentRow['type']] ?? k;
    if (k === '') return by === 'task' ? '(no task)' : '(not from a file)';
    return by === 'file' ? shortPath(k, 60) : k;
  }

  private groupIcon(by: string, k: string): string {
    if (by === 'type') return TYPE_ICON[k as SegmentRow['type']] ?? 'symbol-misc';
    return by === 'task' ? 'tasklist' : k === '' ? 'comment-discussion' : 'file';
  }

  // ------------------------------------------------------------ rows

  private createGroup(): HTMLElement {
    const el = h('div', { class: 'group-row', role: 'option' }, icon('chevron-down', 'twisty'), icon('file', 'group-icon'), h('span', { class: 'group-label' }), h('span', { class: 'group-count badge' }), h('span', { class: 'group-tokens muted' }));
    return el;
  }

  private renderGroup(el: HTMLElement, it: Extract<WorkingItem, { kind: 'group' }>, active: boolean): void {
    el.classList.toggle('active', active);
    el.setAttribute('aria-expanded', String(!it.collapsed));
    el.setAttribute('aria-selected', String(active));
    el.dataset.key = it.key;
    const [twisty, gi, label, count, tokens] = el.children as unknown as HTMLElement[];
    twisty.className = `codicon codicon-${it.collapsed ? 'chevron-right' : 'chevron-down'} twisty`;
    gi.className = `codicon codicon-${it.icon} group-icon`;
    label.textContent = it.label;
    label.title = it.label;
    count.textContent = fmt(it.count);
    tokens.textContent = `${compact(it.tokens)} tokens`;
  }

  private createRow(): HTMLElement {
    const actions = h(
      'div',
      { class: 'row-actions' },
      iconButton('pin', 'Pin (P)', { 'data-action': 'pin', tabIndex: -1 }),
      iconButton('archive', 'Stash (S)', { 'data-action': 'stash', tabIndex: -1 }),
      iconButton('go-to-file', 'Open file at range (Enter)', { 'data-action': 'open', tabIndex: -1 }),
      iconButton('copy', 'Copy text (C)', { 'data-action': 'copy', tabIndex: -1 }),
      iconButton('trash', 'Delete… (Delete)', { 'data-action': 'delete', tabIndex: -1 }),
    );
    const confirm = h(
      'div',
      { class: 'row-confirm', role: 'alert' },
      h('span', {}, 'Delete for good?'),
      button('Delete', { class: 'danger', 'data-action': 'confirm-delete', tabIndex: -1 }),
      button('Cancel', { class: 'secondary', 'data-action': 'cancel-delete', tabIndex: -1 }),
    );
    return h(
      'div',
      { class: 'seg-row', role: 'option' },
      icon('code', 'row-icon'),
      h('div', { class: 'row-main' }, h('div', { class: 'row-title' }), h('div', { class: 'row-sub muted' })),
      h('div', { class: 'row-side' }, h('span', { class: 'row-tokens' }), icon('pinned', 'row-pin')),
      actions,
      confirm,
    );
  }

  private renderRow(el: HTMLElement, it: Extract<WorkingItem, { kind: 'row' }>, active: boolean): void {
    const r = it.row;
    const ws = this.ctx.data.working;
    el.classList.toggle('active', active);
    el.classList.toggle('pinned', r.pinned);
    el.classList.toggle('confirming', this.confirmId === r.id);
    el.classList.toggle('busy', this.busy.has(r.id));
    el.setAttribute('aria-selected', String(active));
    el.setAttribute('aria-posinset', String(it.pos));
    el.setAttribute('aria-setsize', String(it.size));
    el.dataset.id = String(r.id);
    const [ic, main, side, actions] = el.children as unknown as HTMLElement[];
    ic.className = `codicon codicon-${TYPE_ICON[r.type]} row-icon type-${r.type}`;
    ic.title = r.type;
    const [title, sub] = main.children as unknown as HTMLElement[];
    title.textContent = r.title === '' ? '(empty)' : r.title;
    const where = r.file !== null ? `${shortPath(r.file)}${lines(r.lineStart, r.lineEnd)}` : r.source;
    const ageMs = ws ? ws.hostNow + (Date.now() - ws.receivedAt) - r.touchedAt : 0;
    sub.textContent = `${where} · ${age(ageMs)}${this.ctx.ui.value.groupBy !== 'task' && r.taskId ? ` · ${r.taskId}` : ''}`;
    el.title = `#${r.id} ${r.type}${r.file ? ` · ${r.file}${lines(r.lineStart, r.lineEnd)}` : ''} · ${fmt(r.tokens)} tokens${r.pinned ? ' · pinned' : ''}${r.tags.length ? ` · tags: ${r.tags.join(', ')}` : ''}`;
    const [tokens] = side.children as unknown as HTMLElement[];
    tokens.textContent = compact(r.tokens);
    const pin = actions.children[0] as HTMLButtonElement;
    pin.firstElementChild!.className = `codicon codicon-${r.pinned ? 'pinned' : 'pin'}`;
    const pinLabel = r.pinned ? 'Unpin (P)' : 'Pin (P)';
    pin.title = pinLabel;
    pin.setAttribute('aria-label', pinLabel);
    pin.dataset.action = r.pinned ? 'unpin' : 'pin';
    const stash = actions.children[1] as HTMLButtonElement;
    stash.disabled = r.pinned;
    stash.title = r.pinned ? 'Pinned segments cannot be stashed: unpin first' : 'Stash (S)';
    (actions.children[2] as HTMLButtonElement).disabled = r.file === null;
    (actions.children[4] as HTMLButtonElement).disabled = r.pinned;
  }

  private itemOf(target: HTMLElement): WorkingItem | undefined {
    const rowEl = target.closest<HTMLElement>('[data-index]');
    return rowEl ? this.list.itemAt(Number(rowEl.dataset.index)) : undefined;
  }

  private onClick(ev: MouseEvent): void {
    const target = ev.target as HTMLElement;
    const item = this.itemOf(target);
    if (!item) return;
    if (item.kind === 'group') {
      this.toggleGroup(item.key);
      return;
    }
    const action = target.closest<HTMLElement>('[data-action]')?.dataset.action;
    if (action) {
      ev.stopPropagation();
      this.act(action, item.row);
    }
  }

  private readonly actions: Record<string, (r: SegmentRow) => void> = {
    pin: (r) => void this.mutate(r, 'pin', this.ctx.host.request(PinRequest, { ids: [r.id] })),
    unpin: (r) => void this.mutate(r, 'unpin', this.ctx.host.request(UnpinRequest, { ids: [r.id] })),
    stash: (r) => void this.mutate(r, 'stash', this.ctx.host.request(StashRequest, { ids: [r.id] }), `Stashed #${r.id} (${fmt(r.tokens)} tokens). Find it again in the Stash tab.`),
    open: (r) => void this.open(r),
    copy: (r) => void this.copy(r),
    delete: (r) => this.askDelete(r),
    'confirm-delete': (r) => void this.remove(r),
    'cancel-delete': () => this.cancelDelete(),
  };

  private act(action: string, r: SegmentRow): void {
    this.actions[action]?.(r);
  }

  private onKey(ev: KeyboardEvent, it: WorkingItem): boolean {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return false;
    if (it.kind === 'group') {
      if ((ev.key === 'ArrowLeft' && !it.collapsed) || (ev.key === 'ArrowRight' && it.collapsed) || ev.key === ' ') {
        this.toggleGroup(it.key);
        return true;
      }
      return false;
    }
    const r = it.row;
    if (this.confirmId === r.id) {
      if (ev.key === 'Escape') {
        this.cancelDelete();
        return true;
      }
      return false;
    }
    const keys: Record<string, string> = { p: r.pinned ? 'unpin' : 'pin', s: 'stash', c: 'copy', o: 'open', Delete: 'delete' };
    const action = keys[ev.key];
    if (!action) return false;
    if ((action === 'stash' || action === 'delete') && r.pinned) {
      this.ctx.notify(`#${r.id} is pinned: unpin it (P) first.`, 'error');
      return true;
    }
    this.act(action, r);
    return true;
  }

  private toggleGroup(key: string): void {
    this.ctx.ui.update((s) => {
      const i = s.collapsed.indexOf(key);
      if (i >= 0) s.collapsed.splice(i, 1);
      else s.collapsed.push(key);
    });
    this.rebuild();
  }

  private async mutate(r: SegmentRow, what: string, p: Promise<unknown>, done?: string): Promise<void> {
    this.busy.add(r.id);
    this.list.refresh();
    const res = await this.ctx.run(`${what} #${r.id}`, p);
    this.busy.delete(r.id);
    this.list.refresh();
    if (res !== undefined && done) this.ctx.notify(done);
  }

  private async open(r: SegmentRow): Promise<void> {
    if (r.file === null) {
      this.ctx.notify(`#${r.id} is not from a file, so there is nothing to open.`, 'error');
      return;
    }
    const res = await this.ctx.run(`open ${r.file}`, this.ctx.host.request(OpenSegmentRequest, { id: r.id }));
    if (res && !res.opened) this.ctx.notify(res.message ?? `Could not open ${r.file}.`, 'error');
  }

  private async copy(r: SegmentRow): Promise<void> {
    const res = await this.ctx.run(`copy #${r.id}`, this.ctx.host.request(CopySegmentRequest, { id: r.id }));
    if (res) this.ctx.notify(`Copied #${r.id}: ${fmt(res.chars)} characters, ${fmt(res.tokens)} tokens.`);
  }

  private askDelete(r: SegmentRow): void {
    if (r.pinned) {
      this.ctx.notify(`#${r.id} is pinned: unpin it before deleting.`, 'error');
      return;
    }
    // Focus stays on the list: Enter confirms, Escape cancels (the buttons are there for the mouse).
    this.confirmId = r.id;
    this.list.refresh();
  }

  private cancelDelete(): void {
    this.confirmId = null;
    this.list.refresh();
    this.list.element.focus();
  }

  private async remove(r: SegmentRow): Promise<void> {
    this.confirmId = null;
    this.list.element.focus();
    await this.mutate(r, 'delete', this.ctx.host.request(DeleteRequest, { ids: [r.id], confirm: true }), `Deleted #${r.id} for good (${fmt(r.tokens)} tokens).`);
  }
}

function cssKey(k: string): string {
  let out = '';
  for (let i = 0; i < k.length && out.length < 200; i++) {
    const c = k.charCodeAt(i);
    out += (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? k[i] : `_${c.toString(16)}`;
  }
  return out;
}
