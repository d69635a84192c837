// The panel: task bar and meter on top, then tabs (Overview, Working set, GC, Stash), and a status line
// for what just happened. Listens to the host's notifications, says `ready` once it listens, and keeps
// its UI state across reloads. Tabs follow the ARIA tabs pattern (arrow keys move between them).

import {
  LogCommand,
  PROTOCOL_VERSION,
  ReadyCommand,
  RefreshRequest,
  ShowNotification,
  StateNotification,
  TABS,
  WorkingSetNotification,
  type Tab,
} from '../protocol/webview';
import { errorText, type PanelContext, type PanelData } from './context';
import { button, h, icon, iconButton, replace } from './dom';
import { fmt } from './format';
import { HostConnection, type VsCodeApi } from './rpc';
import { UiStateStore } from './state';
import { GcView } from './views/gc';
import { Meter, TaskBar } from './views/header';
import { Overview } from './views/overview';
import { StashView } from './views/stash';
import { WorkingSetView } from './views/working';

const TAB_LABEL: Record<Tab, string> = { overview: 'Overview', working: 'Working', gc: 'GC', stash: 'Stash' };

const TAB_TITLE: Record<Tab, string> = {
  overview: 'Where the budget goes',
  working: 'The working set: segments in context',
  gc: 'Plan and apply a GC',
  stash: 'Search and restore stashed segments',
};

interface TabView {
  element: HTMLElement;
  update(): void;
  shown?(): void;
  focus?(): void;
}

export class App {
  readonly ctx: PanelContext;
  readonly host: HostConnection;
  readonly working: WorkingSetView;
  readonly gc: GcView;
  readonly stash: StashView;
  private readonly taskBar: TaskBar;
  private readonly meter: Meter;
  private readonly overview: Overview;
  private readonly views: Record<Tab, TabView>;
  private readonly tabButtons: Record<Tab, HTMLButtonElement>;
  private readonly panels: Record<Tab, HTMLElement>;
  private readonly statusLine: HTMLElement;
  private readonly banner: HTMLElement;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    api: VsCodeApi,
  ) {
    this.host = new HostConnection(api);
    const ui = new UiStateStore(api);
    const data: PanelData = {
      status: { kind: 'loading', message: 'Connecting to Context GC…' },
      usage: null,
      tasks: null,
      undo: { available: false, segments: 0, tokens: 0 },
      crossProject: false,
      working: null,
    };
    this.ctx = {
      host: this.host,
      ui,
      data,
      notify: (m, kind) => this.notify(m, kind),
      run: async (what, p) => {
        try {
          return await p;
        } catch (err) {
          this.notify(errorText(what, err), 'error');
          return undefined;
        }
      },
      now: () => (data.working ? data.working.hostNow + (Date.now() - data.working.receivedAt) : Date.now()),
      showTab: (tab, focus) => this.showTab(tab, focus),
    };
    this.taskBar = new TaskBar(this.ctx);
    this.meter = new Meter(this.ctx);
    this.overview = new Overview(this.ctx);
    this.working = new WorkingSetView(this.ctx);
    this.gc = new GcView(this.ctx);
    this.stash = new StashView(this.ctx);
    this.views = { overview: this.overview, working: this.working, gc: this.gc, stash: this.stash };

    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Context GC views' });
    this.tabButtons = {} as Record<Tab, HTMLButtonElement>;
    this.panels = {} as Record<Tab, HTMLElement>;
    for (const tab of TABS) {
      const b = h('button', { type: 'button', role: 'tab', id: `tab-${tab}`, class: 'tab', 'aria-controls': `panel-${tab}`, 'data-tab': tab, title: TAB_TITLE[tab] }, h('span', { class: 'tab-label' }, TAB_LABEL[tab]), h('span', { class: 'tab-badge' }));
      b.addEventListener('click', () => this.showTab(tab));
      tablist.appendChild(b);
      this.tabButtons[tab] = b;
      this.panels[tab] = h('section', { class: `tab-panel panel-${tab}`, role: 'tabpanel', id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}` }, this.views[tab].element);
    }
    tablist.addEventListener('keydown', (ev) => {
      const i = TABS.indexOf(ui.value.tab);
      const next: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1 + TABS.length, Home: 0, End: TABS.length - 1 };
      if (!(ev.key in next)) return;
      ev.preventDefault();
      const tab = TABS[next[ev.key] % TABS.length];
      this.showTab(tab);
      this.tabButtons[tab].focus();
    });

    this.banner = h('div', { class: 'banner' });
    this.banner.hidden = true;
    this.statusLine = h('div', { class: 'status-line', role: 'status', 'aria-live': 'polite', 'data-testid': 'status-line' });
    this.statusLine.hidden = true;
    replace(this.root, this.taskBar.element, this.meter.element, this.banner, tablist, ...TABS.map((t) => this.panels[t]), this.statusLine);
    this.root.classList.add('ready');

    this.host.onNotification(StateNotification, (p) => {
      data.status = p.status;
      data.usage = p.usage;
      data.tasks = p.tasks;
      data.undo = p.undo;
      data.crossProject = p.crossProject;
      this.render();
    });
    this.host.onNotification(WorkingSetNotification, (p) => {
      let rows = p.rows;
      if (p.mode === 'delta' && data.working) {
        // Apply the change to the rows we have: drop the removed, replace or add the changed.
        const drop = new Set(p.removed);
        for (const r of p.rows) drop.add(r.id);
        rows = data.working.rows.filter((r) => !drop.has(r.id));
        for (const r of p.rows) rows.push(r);
      } else if (p.mode === 'delta') {
        this.host.command(LogCommand, { level: 'warn', message: 'Got a working-set delta before any full list; asking for a refresh.' });
        void this.ctx.run('reload the working set', this.host.request(RefreshRequest, {}));
        return;
      }
      data.working = { rows, total: p.total, truncated: p.truncated, hostNow: p.now, receivedAt: Date.now() };
      this.working.update();
      this.updateBadges();
    });
    this.host.onNotification(ShowNotification, (p) => {
      this.showTab(p.tab, true);
      if (p.tab === 'stash' && p.query !== undefined) this.stash.setQuery(p.query);
    });
    this.showTab(ui.value.tab);
    this.render();
    window.addEventListener('pagehide', () => ui.flush());
  }

  /** Starts talking to the host: listen first, then say `ready` so the host pushes state. */
  start(): void {
    this.host.listen(window);
    this.host.command(ReadyCommand, { protocol: PROTOCOL_VERSION });
  }

  showTab(tab: Tab, focus = false): void {
    this.ctx.ui.update((s) => (s.tab = tab));
    for (const t of TABS) {
      const on = t === tab;
      this.tabButtons[t].setAttribute('aria-selected', String(on));
      this.tabButtons[t].tabIndex = on ? 0 : -1;
      this.tabButtons[t].classList.toggle('active', on);
      this.panels[t].hidden = !on;
    }
    this.views[tab].shown?.();
    if (focus) this.views[tab].focus?.();
  }

  private render(): void {
    const d = this.ctx.data;
    this.taskBar.update();
    this.meter.update();
    this.renderBanner();
    this.overview.update();
    this.gc.update();
    this.stash.update();
    if (d.status.kind === 'error' || d.working === null) this.working.update();
    this.updateBadges();
  }

  private renderBanner(): void {
    const s = this.ctx.data.status;
    if (s.kind === 'ready') {
      this.banner.hidden = true;
      replace(this.banner);
      return;
    }
    this.banner.hidden = false;
    this.banner.className = `banner ${s.kind}`;
    if (s.kind === 'loading') {
      replace(this.banner, icon('loading', 'codicon-modifier-spin'), h('span', {}, ` ${s.message}`));
      return;
    }
    const retry = button('Retry', { class: 'secondary small', 'data-action': 'retry' }, 'refresh');
    retry.addEventListener('click', () => {
      this.ctx.data.status = { kind: 'loading', message: 'Retrying…' };
      this.renderBanner();
      void this.ctx.run('reload the context', this.host.request(RefreshRequest, {}));
    });
    replace(
      this.banner,
      icon('error'),
      h('div', { class: 'banner-text' }, h('p', {}, s.message), h('p', { class: 'muted' }, 'Check the "Context GC" output channel for details, then retry. If the store is locked by another window, close that window or run "Context GC: Show Logs" there.')),
      retry,
    );
  }

  private updateBadges(): void {
    const d = this.ctx.data;
    const badge = (t: Tab, text: string) => replace(this.tabButtons[t].querySelector('.tab-badge')!, text);
    badge('working', d.working ? fmt(d.working.total) : '');
    badge('stash', d.usage ? fmt(d.usage.stashedSegments) : '');
    badge('overview', '');
    badge('gc', '');
  }

  private notify(message: string, kind: 'info' | 'error' = 'info'): void {
    if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
    const close = iconButton('close', 'Dismiss', { class: 'small', 'data-action': 'dismiss' });
    close.addEventListener('click', () => (this.statusLine.hidden = true));
    this.statusLine.className = `status-line ${kind}`;
    this.statusLine.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    replace(this.statusLine, icon(kind === 'error' ? 'error' : 'info'), h('span', { class: 'status-text', 'data-testid': 'status-text' }, message), close);
    this.statusLine.hidden = false;
    if (kind === 'info') this.statusTimer = setTimeout(() => (this.statusLine.hidden = true), 8000);
  }
}
