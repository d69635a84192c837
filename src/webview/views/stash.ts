// The Stash tab: full-text search over what was stashed (server-side, bounded by a limit, so a stash of
// a million segments costs the same as a small one), with filters (file prefix, task, tag, types, time,
// all projects), hits with their matched words highlighted (text nodes and <mark>, never HTML), and
// restore one or many. An empty query lists the most recently stashed segments.

import { RestoreRequest, SearchStashRequest, SEGMENT_TYPES, type SearchQuery, type SearchView } from '../../protocol/webview';
import type { PanelContext } from '../context';
import { button, h, highlighted, icon, iconButton, replace } from '../dom';
import { age, compact, fmt, lines, plural, shortPath, TYPE_ICON, TYPE_LABEL } from '../format';
import { WITHIN, WITHIN_MS } from '../state';

export const SEARCH_LIMIT = 100;
const WITHIN_LABEL: Record<(typeof WITHIN)[number], string> = { any: 'Any time', '1h': 'Last hour', '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' };

type Hit = Extract<SearchView, { status: 'ok' }>['hits'][number];

export class StashView {
  readonly element: HTMLElement;
  private readonly query: HTMLInputElement;
  private readonly filtersToggle: HTMLButtonElement;
  private readonly filters: HTMLElement;
  private readonly file: HTMLInputElement;
  private readonly task: HTMLSelectElement;
  private readonly tag: HTMLInputElement;
  private readonly within: HTMLSelectElement;
  private readonly cross: HTMLInputElement;
  private readonly crossNote: HTMLElement;
  private readonly typeButtons: HTMLButtonElement[];
  private readonly head: HTMLElement;
  private readonly results: HTMLElement;
  private readonly restoreSelected: HTMLButtonElement;
  private readonly checked = new Set<number>();
  private view: SearchView | null = null;
  private seq = 0;
  private searching = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private searchedOnce = false;
  private dirty = false;

  constructor(private readonly ctx: PanelContext) {
    const s = ctx.ui.value.search;
    this.query = h('input', { type: 'search', class: 'input', id: 'stash-query', 'aria-label': 'Search the stash' });
    this.query.placeholder = 'Search the stash: words, identifiers, paths';
    this.query.value = s.query;
    this.query.addEventListener('input', () => this.changed(250));
    this.query.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        this.changed(0);
      } else if (ev.key === 'ArrowDown') {
        const first = this.results.querySelector<HTMLElement>('.hit');
        if (first) {
          ev.preventDefault();
          first.focus();
        }
      }
    });
    this.filtersToggle = iconButton('filter', 'Show filters', { 'data-action': 'toggle-filters', 'aria-expanded': String(s.showFilters), 'aria-controls': 'stash-filters' });
    this.filtersToggle.addEventListener('click', () => {
      ctx.ui.update((st) => (st.search.showFilters = !st.search.showFilters));
      this.renderFilters();
    });
    this.file = h('input', { type: 'text', class: 'input', id: 'stash-file', 'aria-label': 'File path starts with' });
    this.file.placeholder = 'src/engine/';
    this.file.value = s.file;
    this.tag = h('input', { type: 'text', class: 'input', id: 'stash-tag', 'aria-label': 'Tag' });
    this.tag.placeholder = 'tag';
    this.tag.value = s.tag;
    this.task = h('select', { class: 'select', id: 'stash-task', 'aria-label': 'Task' });
    this.within = h('select', { class: 'select', id: 'stash-within', 'aria-label': 'Touched' }, ...WITHIN.map((w) => {
      const o = h('option', {}, WITHIN_LABEL[w]);
      o.value = w;
      return o;
    }));
    this.within.value = s.within;
    this.cross = h('input', { type: 'checkbox', id: 'stash-cross', 'data-testid': 'stash-cross' });
    this.cross.checked = s.crossProject;
    this.crossNote = h('span', { class: 'muted small' });
    this.typeButtons = SEGMENT_TYPES.map((t) => {
      const b = h('button', { type: 'button', class: 'chip', 'aria-pressed': String(s.types.includes(t)), 'data-type': t, title: TYPE_LABEL[t] }, icon(TYPE_ICON[t]), t);
      b.addEventListener('click', () => {
        ctx.ui.update((st) => {
          const i = st.search.types.indexOf(t);
          if (i >= 0) st.search.types.splice(i, 1);
          else st.search.types.push(t);
        });
        b.setAttribute('aria-pressed', String(ctx.ui.value.search.types.includes(t)));
        this.changed(0);
      });
      return b;
    });
    for (const el of [this.file, this.tag]) el.addEventListener('input', () => this.changed(300));
    for (const el of [this.task, this.within]) el.addEventListener('change', () => this.changed(0));
    this.cross.addEventListener('change', () => this.changed(0));
    const clear = button('Clear filters', { class: 'secondary small', 'data-action': 'clear-filters' });
    clear.addEventListener('click', () => {
      this.file.value = '';
      this.tag.value = '';
      this.task.value = '';
      this.within.value = 'any';
      this.cross.checked = false;
      ctx.ui.update((st) => (st.search.types = []));
      for (const b of this.typeButtons) b.setAttribute('aria-pressed', 'false');
      this.changed(0);
    });
    this.filters = h(
      'div',
      { class: 'filters', id: 'stash-filters', role: 'group', 'aria-label': 'Search filters' },
      h('label', { class: 'field' }, h('span', {}, 'File'), this.file),
      h('label', { class: 'field' }, h('span', {}, 'Task'), this.task),
      h('label', { class: 'field' }, h('span', {}, 'Tag'), this.tag),
      h('label', { class: 'field' }, h('span', {}, 'Touched'), this.within),
      h('div', { class: 'chips', role: 'group', 'aria-label': 'Types' }, ...this.typeButtons),
      h('div', { class: 'field-row' }, h('label', { class: 'check' }, this.cross, ' All projects'), this.crossNote, clear),
    );
    this.head = h('div', { class: 'results-head', 'aria-live': 'polite', 'data-testid': 'stash-head' });
    this.restoreSelected = button('Restore selected', { 'data-action': 'restore-selected' }, 'discard');
    this.restoreSelected.addEventListener('click', () => void this.restore([...this.checked]));
    this.results = h('ul', { class: 'hits', role: 'list', 'aria-label': 'Stashed segments found' });
    this.results.addEventListener('keydown', (ev) => this.onKey(ev));
    this.element = h(
      'div',
      { class: 'stash' },
      h('div', { class: 'search-row' }, h('div', { class: 'filter-box' }, icon('search', 'muted'), this.query), this.filtersToggle),
      this.filters,
      h('div', { class: 'results-bar' }, this.head, this.restoreSelected),
      this.results,
    );
    this.renderFilters();
    this.renderResults();
  }

  /** New state from the host: refresh the task list, and the results when the stash may have changed. */
  update(): void {
    const tasks = this.ctx.data.tasks?.tasks ?? [];
    const want = this.ctx.ui.value.search.task;
    replace(
      this.task,
      Object.assign(h('option', {}, 'Any task'), { value: '' }),
      ...tasks.map((t) => Object.assign(h('option', {}, t.id), { value: t.id })),
    );
    this.task.value = tasks.some((t) => t.id === want) ? want : '';
    replace(this.crossNote, this.ctx.data.crossProject ? '' : '(not available yet)');
    if (this.view === null) this.renderResults();
    // The stash may have changed: search again now if the tab is showing, else when it is shown.
    if (this.ctx.ui.value.tab === 'stash') this.changed(150);
    else this.dirty = true;
  }

  shown(): void {
    if (!this.searchedOnce || this.dirty) this.changed(0);
    this.dirty = false;
  }

  focus(): void {
    this.query.focus();
  }

  /** Sets the query (the host's "Search Stash" command) and searches. */
  setQuery(q: string): void {
    this.query.value = q;
    this.changed(0);
  }

  private renderFilters(): void {
    const open = this.ctx.ui.value.search.showFilters;
    this.filters.hidden = !open;
    this.filtersToggle.setAttribute('aria-expanded', String(open));
    this.filtersToggle.classList.toggle('on', open);
  }

  private changed(delay: number): void {
    this.ctx.ui.update((s) => {
      s.search.query = this.query.value;
      s.search.file = this.file.value;
      s.search.tag = this.tag.value;
      s.search.task = this.task.value;
      s.search.within = this.within.value as (typeof WITHIN)[number];
      s.search.crossProject = this.cross.checked;
    });
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.search();
    }, delay);
  }

  private request(): SearchQuery {
    const s = this.ctx.ui.value.search;
    const q: SearchQuery = { query: s.query.trim(), crossProject: s.crossProject, limit: SEARCH_LIMIT };
    if (s.file.trim()) q.file = s.file.trim();
    if (s.task) q.task = s.task;
    if (s.tag.trim()) q.tag = s.tag.trim();
    if (s.types.length > 0) q.types = [...s.types];
    const within = WITHIN_MS[s.within];
    if (within !== undefined) q.withinMs = within;
    return q;
  }

  private async search(): Promise<void> {
    if (this.ctx.data.usage === null) return;
    this.searchedOnce = true;
    const seq = ++this.seq;
    const req = this.request();
    if (req.query === '' && req.file === undefined && req.task === undefined && req.tag === undefined) {
      // Nothing to search by yet: the engine lists the stash only under a task, file or tag filter.
      this.view = null;
      this.searching = false;
      this.renderResults();
      return;
    }
    this.searching = true;
    this.renderHead();
    const r = await this.ctx.run('search the stash', this.ctx.host.request(SearchStashRequest, req));
    if (seq !== this.seq) return;
    this.searching = false;
    if (r) {
      this.view = r;
      const present = new Set(r.status === 'ok' ? r.hits.map((x) => x.id) : []);
      for (const id of this.checked) if (!present.has(id)) this.checked.delete(id);
    }
    this.renderResults();
  }

  private hits(): Hit[] {
    return this.view?.status === 'ok' ? this.view.hits : [];
  }

  private renderHead(): void {
    const v = this.view;
    const chosen = this.hits().filter((x) => this.checked.has(x.id));
    this.restoreSelected.hidden = chosen.length === 0;
    replace(this.restoreSelected, icon('discard'), `Restore ${plural(chosen.length, 'segment')} (${compact(chosen.reduce((s, x) => s + x.tokens, 0))} tokens)`);
    if (this.searching) {
      replace(this.head, icon('loading', 'codicon-modifier-spin'), ' Searching…');
      return;
    }
    if (!v || v.status !== 'ok') {
      replace(this.head, '');
      return;
    }
    const label = v.query === '' ? 'Recently stashed' : `${fmt(v.hits.length)} of ${plural(v.total, 'match', 'matches')}`;
    replace(
      this.head,
      h('span', {}, label),
      h('span', { class: 'muted' }, ` · ${fmt(v.tokens)} tokens · ${v.tookMs.toFixed(1)} ms`),
      v.partial ? h('span', { class: 'muted' }, ' · index still building, more may appear') : null,
      v.corrections.length > 0 ? h('span', { class: 'muted' }, ` · also tried ${v.corrections.map((c) => c.variants.slice(0, 3).join('/')).join(', ')}`) : null,
    );
  }

  private renderResults(): void {
    this.renderHead();
    const v = this.view;
    const stashed = this.ctx.data.usage?.stashedSegments ?? 0;
    if (!v) {
      const held = this.ctx.data.usage;
      replace(
        this.results,
        h(
          'li',
          { class: 'empty-state', 'data-testid': 'stash-hint' },
          icon('archive', 'big muted'),
          h('p', {}, held && held.stashedSegments > 0 ? `Search the ${plural(held.stashedSegments, 'stashed segment')} (${fmt(held.stashedTokens)} tokens).` : 'The stash is empty.'),
          h('p', { class: 'muted' }, 'Type words, a file name or an identifier (fooBar finds foo bar). Filters narrow by file, task, tag, type and time; a file, task or tag filter alone lists what it holds.'),
        ),
      );
      return;
    }
    if (v.status === 'unavailable') {
      replace(this.results, h('li', { class: 'empty-state', 'data-testid': 'stash-unavailable' }, icon('circle-slash', 'big muted'), h('p', {}, v.message)));
      return;
    }
    if (v.hits.length === 0) {
      const msg =
        stashed === 0 && v.query === ''
          ? ['The stash is empty.', 'Stash segments from the Working set tab, or apply a GC: they stay searchable here and can be restored.']
          : v.query === ''
            ? ['No stashed segment matches these filters.', 'Clear or widen the filters.']
            : [`No stashed segment matches “${v.query}”.`, 'Try fewer or other words, or clear the filters.'];
      replace(this.results, h('li', { class: 'empty-state', 'data-testid': 'stash-empty' }, icon('search', 'big muted'), h('p', {}, msg[0]), h('p', { class: 'muted' }, msg[1])));
      return;
    }
    replace(this.results, ...v.hits.map((hit) => this.renderHit(hit)));
  }

  private renderHit(x: Hit): HTMLElement {
    const cb = h('input', { type: 'checkbox', 'aria-label': `Select #${x.id}`, tabIndex: -1 });
    cb.checked = this.checked.has(x.id);
    cb.addEventListener('change', () => {
      if (cb.checked) this.checked.add(x.id);
      else this.checked.delete(x.id);
      this.renderHead();
    });
    const restore = iconButton('discard', `Restore #${x.id} to the working set`, { 'data-action': 'restore', tabIndex: -1 });
    restore.addEventListener('click', () => void this.restore([x.id]));
    const ageMs = this.ctx.now() - x.touchedAt;
    const meta = [x.file ? `${shortPath(x.file)}${lines(x.lineStart, x.lineEnd)}` : null, x.taskId, age(ageMs), x.project !== '' && this.ctx.ui.value.search.crossProject ? x.project : null]
      .filter(Boolean)
      .join(' · ');
    const li = h(
      'li',
      { class: `hit${x.tier === 'working' ? ' restored' : ''}`, tabIndex: 0, 'data-id': String(x.id), 'aria-label': `#${x.id} ${x.type}: ${x.title}` },
      h('div', { class: 'hit-head' }, cb, icon(TYPE_ICON[x.type], `row-icon type-${x.type}`), h('span', { class: 'hit-title' }, x.title || '(empty)'), h('span', { class: 'row-tokens' }, compact(x.tokens)), restore),
      h('div', { class: 'hit-snippet' }, highlighted(x.snippet, x.matches)),
      h('div', { class: 'hit-meta muted' }, meta),
    );
    return li;
  }

  private onKey(ev: KeyboardEvent): void {
    const li = (ev.target as HTMLElement).closest<HTMLElement>('.hit');
    if (!li || ev.target !== li) return;
    const id = Number(li.dataset.id);
    const keys: Record<string, () => void> = {
      ArrowDown: () => (li.nextElementSibling as HTMLElement | null)?.focus(),
      ArrowUp: () => ((li.previousElementSibling as HTMLElement | null) ?? this.query).focus(),
      ' ': () => {
        const cb = li.querySelector<HTMLInputElement>('input[type=checkbox]')!;
        cb.checked = !cb.checked;
        cb.dispatchEvent(new Event('change'));
      },
      Enter: () => void this.restore([id]),
      r: () => void this.restore([id]),
    };
    const fn = keys[ev.key];
    if (fn) {
      ev.preventDefault();
      fn();
    }
  }

  private async restore(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const tokens = this.hits().filter((x) => ids.includes(x.id)).reduce((s, x) => s + x.tokens, 0);
    const r = await this.ctx.run(`restore ${plural(ids.length, 'segment')}`, this.ctx.host.request(RestoreRequest, { ids }));
    if (!r) return;
    for (const id of ids) this.checked.delete(id);
    this.ctx.notify(`Restored ${plural(r.ids.length, 'segment')} (${fmt(tokens)} tokens) to the working set. Now ${r.percent.toFixed(1)}% of the budget.`);
    void this.search();
  }
}
