// The Overview tab: where the budget goes (bar charts by type and by task), health, pins, the stash, and
// the engine's warnings and recommendations with a way to act on them.

import { SEGMENT_TYPES, type UsageView } from '../../protocol/webview';
import type { PanelContext } from '../context';
import { button, h, icon, replace } from '../dom';
import { compact, fmt, pct, plural, TYPE_ICON, TYPE_LABEL } from '../format';

const TOP_TASKS = 8;

export class Overview {
  readonly element: HTMLElement;

  constructor(private readonly ctx: PanelContext) {
    this.element = h('div', { class: 'overview' });
  }

  update(): void {
    const u = this.ctx.data.usage;
    if (!u) {
      replace(this.element, this.ctx.data.status.kind === 'error' ? null : h('p', { class: 'muted state' }, icon('loading', 'codicon-modifier-spin'), ' Reading the context…'));
      return;
    }
    replace(
      this.element,
      this.advice(u),
      h('h3', { class: 'section-title' }, 'By type'),
      this.chart(
        'Tokens by segment type',
        SEGMENT_TYPES.filter((t) => u.byType[t].segments > 0).map((t) => ({
          icon: TYPE_ICON[t],
          label: TYPE_LABEL[t],
          tokens: u.byType[t].tokens,
          segments: u.byType[t].segments,
          cls: `type-${t}`,
        })),
        u.workingTokens,
      ),
      h('h3', { class: 'section-title' }, 'By task'),
      this.chart('Tokens by task', this.taskBars(u), u.workingTokens),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Health'),
        h('dd', { 'data-testid': 'health' }, `${u.health} / 100`),
        h('dt', {}, 'Pinned'),
        h('dd', {}, `${plural(u.pinnedSegments, 'segment')}, ${fmt(u.pinnedTokens)} tokens`),
        h('dt', {}, 'Stashed'),
        h('dd', {}, `${plural(u.stashedSegments, 'segment')}, ${fmt(u.stashedTokens)} tokens`),
        h('dt', {}, 'Bands'),
        h('dd', {}, u.thresholds.map((t) => `${t}%`).join(' · ')),
      ),
    );
  }

  private taskBars(u: UsageView): Bar[] {
    const bars: Bar[] = u.byTask.slice(0, TOP_TASKS).map((t, i) => ({
      icon: 'tasklist',
      label: t.taskId ?? '(no task)',
      tokens: t.tokens,
      segments: t.segments,
      cls: `series-${i % 6}`,
      current: t.taskId !== null && t.taskId === this.ctx.data.tasks?.current,
    }));
    const rest = u.byTask.slice(TOP_TASKS);
    if (rest.length > 0) {
      bars.push({
        icon: 'ellipsis',
        label: `${rest.length} more tasks`,
        tokens: rest.reduce((s, t) => s + t.tokens, 0),
        segments: rest.reduce((s, t) => s + t.segments, 0),
        cls: 'series-rest',
      });
    }
    return bars;
  }

  private advice(u: UsageView): HTMLElement | null {
    if (u.warnings.length === 0 && u.recommendations.length === 0) {
      if (u.workingSegments === 0) {
        return h('div', { class: 'callout' }, icon('info'), h('span', {}, 'Nothing in context yet. Open files or let the agent work; the meter fills as context is recorded.'));
      }
      return null;
    }
    const items = [
      ...u.warnings.map((w) => h('li', { class: 'warning' }, icon('warning'), h('span', {}, w))),
      ...u.recommendations.map((r) => h('li', {}, icon('lightbulb'), h('span', {}, r))),
    ];
    const plan = button('Plan a GC', { 'data-action': 'goto-gc' }, 'sparkle');
    plan.addEventListener('click', () => this.ctx.showTab('gc', true));
    return h('div', { class: `callout band-${u.band}` }, h('ul', { class: 'advice' }, ...items), plan);
  }

  private chart(label: string, bars: Bar[], total: number): HTMLElement {
    if (bars.length === 0) return h('p', { class: 'muted' }, 'Nothing in context.');
    const max = Math.max(1, ...bars.map((b) => b.tokens));
    return h(
      'ul',
      { class: 'chart', 'aria-label': label },
      ...bars.map((b) => {
        const fill = h('span', { class: `bar-fill ${b.cls}` });
        fill.style.width = `${Math.max(b.tokens > 0 ? 1 : 0, (b.tokens / max) * 100)}%`;
        const share = total > 0 ? (b.tokens / total) * 100 : 0;
        return h(
          'li',
          { class: `chart-row${b.current ? ' current' : ''}`, title: `${b.label}: ${fmt(b.tokens)} tokens in ${plural(b.segments, 'segment')} (${pct(share)})` },
          h('span', { class: 'chart-label' }, icon(b.icon), h('span', { class: 'chart-name' }, b.label)),
          h('span', { class: 'bar' }, fill),
          h('span', { class: 'chart-value' }, compact(b.tokens)),
          h('span', { class: 'chart-share muted' }, pct(share)),
        );
      }),
    );
  }
}

interface Bar {
  icon: string;
  label: string;
  tokens: number;
  segments: number;
  cls: string;
  current?: boolean;
}
