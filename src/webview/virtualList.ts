// A small virtualised list: only the rows in (and just around) the viewport exist in the DOM, so 10,000
// segments cost what 30 do. Items may have different heights (group headers vs rows); their offsets are
// a prefix-sum array and the first visible item is found by binary search. Row elements are pooled per
// kind and re-rendered in place. Keyboard: the list is one tab stop (a listbox with
// aria-activedescendant); arrows, Home/End and PageUp/PageDown move the active item, Enter activates it,
// other keys go to the owner (pin, stash, delete, ...).

export interface VirtualListOptions<T> {
  label: string;
  className?: string;
  heightOf(item: T): number;
  kindOf(item: T): string;
  create(kind: string): HTMLElement;
  render(el: HTMLElement, item: T, index: number, active: boolean): void;
  /** A DOM id unique to the item (kept active across updates, used for aria-activedescendant). */
  idOf(item: T): string;
  onActivate?(item: T, index: number): void;
  /** A key the list does not handle itself; return true when handled. */
  onKey?(ev: KeyboardEvent, item: T, index: number): boolean;
  onScroll?(scrollTop: number): void;
  overscan?: number;
}

export class VirtualList<T> {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private items: T[] = [];
  private offsets = new Float64Array(1);
  private readonly rendered = new Map<number, HTMLElement>();
  private readonly pool = new Map<string, HTMLElement[]>();
  private active = -1;
  private frame = 0;
  private lastRange = '';

  constructor(private readonly opts: VirtualListOptions<T>) {
    this.element = document.createElement('div');
    this.element.className = `vlist ${opts.className ?? ''}`.trim();
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'listbox');
    this.element.setAttribute('aria-label', opts.label);
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    this.element.appendChild(this.spacer);
    this.element.addEventListener('scroll', () => {
      this.schedule();
      opts.onScroll?.(this.element.scrollTop);
    });
    this.element.addEventListener('keydown', (ev) => this.onKeyDown(ev));
    // Focus lands on a row: the list is one tab stop, and the active row is what keys act on.
    this.element.addEventListener('focus', () => {
      if (this.active < 0 && this.items.length > 0) this.setActive(0, false);
    });
    this.element.addEventListener('mousedown', (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>('[data-index]');
      if (row) this.setActive(Number(row.dataset.index), false);
    });
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  get length(): number {
    return this.items.length;
  }

  get activeIndex(): number {
    return this.active;
  }

  get activeItem(): T | undefined {
    return this.active >= 0 ? this.items[this.active] : undefined;
  }

  itemAt(index: number): T | undefined {
    return this.items[index];
  }

  /** Replaces the items; the active item stays active when it is still there. */
  setItems(items: T[]): void {
    const activeId = this.active >= 0 && this.active < this.items.length ? this.opts.idOf(this.items[this.active]) : null;
    this.items = items;
    const offsets = new Float64Array(items.length + 1);
    for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i] + this.opts.heightOf(items[i]);
    this.offsets = offsets;
    this.spacer.style.height = `${offsets[items.length]}px`;
    this.active = -1;
    if (activeId !== null) {
      for (let i = 0; i < items.length; i++) {
        if (this.opts.idOf(items[i]) === activeId) {
          this.active = i;
          break;
        }
      }
    }
    this.updateActiveDescendant();
    this.renderNow(true);
  }

  /** Re-renders the visible rows (after a change only the renderer knows about). */
  refresh(): void {
    this.renderNow(true);
  }

  setActive(index: number, scroll = true): void {
    if (this.items.length === 0) return;
    const i = Math.max(0, Math.min(this.items.length - 1, index));
    const prev = this.active;
    this.active = i;
    this.updateActiveDescendant();
    if (scroll) this.scrollToIndex(i);
    for (const idx of [prev, i]) {
      const el = this.rendered.get(idx);
      if (el) this.opts.render(el, this.items[idx], idx, idx === this.active);
    }
  }

  scrollToIndex(i: number): void {
    const top = this.offsets[i];
    const bottom = this.offsets[i + 1];
    const view = this.element;
    if (top < view.scrollTop) view.scrollTop = top;
    else if (bottom > view.scrollTop + view.clientHeight) view.scrollTop = bottom - view.clientHeight;
    this.renderNow(false);
  }

  set scrollTop(v: number) {
    this.element.scrollTop = v;
    this.renderNow(false);
  }

  /** How many row elements exist (tests check that only the visible ones do). */
  get renderedCount(): number {
    return this.rendered.size;
  }

  private updateActiveDescendant(): void {
    if (this.active >= 0) this.element.setAttribute('aria-activedescendant', this.opts.idOf(this.items[this.active]));
    else this.element.removeAttribute('aria-activedescendant');
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow(false);
    });
  }

  private firstAt(y: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private renderNow(all: boolean): void {
    const view = this.element;
    const height = view.clientHeight || 600;
    const overscan = this.opts.overscan ?? 8;
    const n = this.items.length;
    const first = Math.max(0, this.firstAt(view.scrollTop) - overscan);
    let last = this.firstAt(view.scrollTop + height);
    last = Math.min(n - 1, last + overscan);
    const range = `${first}:${last}:${n}`;
    if (!all && range === this.lastRange) return;
    this.lastRange = range;
    for (const [idx, el] of this.rendered) {
      if (idx < first || idx > last || idx >= n || all) {
        const kind = el.dataset.kind!;
        if (all && idx >= first && idx <= last && idx < n && this.opts.kindOf(this.items[idx]) === kind) continue;
        this.rendered.delete(idx);
        el.remove();
        let p = this.pool.get(kind);
        if (!p) this.pool.set(kind, (p = []));
        p.push(el);
      }
    }
    for (let i = first; i <= last; i++) {
      let el = this.rendered.get(i);
      if (el && !all) continue;
      const item = this.items[i];
      if (!el) {
        const kind = this.opts.kindOf(item);
        el = this.pool.get(kind)?.pop() ?? this.opts.create(kind);
        el.dataset.kind = kind;
        el.style.position = 'absolute';
        el.style.top = '0';
        el.style.left = '0';
        el.style.right = '0';
        this.rendered.set(i, el);
        this.element.appendChild(el);
      }
      el.dataset.index = String(i);
      el.id = this.opts.idOf(item);
      el.style.height = `${this.offsets[i + 1] - this.offsets[i]}px`;
      el.style.transform = `translateY(${this.offsets[i]}px)`;
      this.opts.render(el, item, i, i === this.active);
    }
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.target !== this.element && (ev.target as HTMLElement).closest('input, select, textarea, button')) return;
    const n = this.items.length;
    if (n === 0) return;
    const page = Math.max(1, Math.floor(this.element.clientHeight / (this.opts.heightOf(this.items[0]) || 24)) - 1);
    const moves: Record<string, () => number> = {
      ArrowDown: () => this.active + 1,
      ArrowUp: () => Math.max(0, this.active - 1),
      Home: () => 0,
      End: () => n - 1,
      PageDown: () => this.active + page,
      PageUp: () => Math.max(0, this.active - page),
    };
    const move = moves[ev.key];
    if (move && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      this.setActive(this.active < 0 ? 0 : move());
      return;
    }
    if (this.active < 0) return;
    const item = this.items[this.active];
    if (ev.key === 'Enter' && this.opts.onActivate) {
      ev.preventDefault();
      this.opts.onActivate(item, this.active);
      return;
    }
    if (this.opts.onKey?.(ev, item, this.active)) ev.preventDefault();
  }
}
