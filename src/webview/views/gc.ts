// The GC tab: pick a target ("get under X %" or "free N tokens"), see the collector's plan with each
// candidate's reason and tokens, untick what to keep, apply (stash: reversible), see before/after totals,
// and undo the last apply.

import { ApplyGcRequest, PlanGcRequest, UndoGcRequest, type ApplyView, type GcTarget, type PlanView } from '../../protocol/webview';
import type { PanelContext } from '../context';
import { button, h, icon, replace } from '../dom';
import { compact, fmt, pct, plural, shortPath, TYPE_ICON } from '../format';
import { VirtualList } from '../virtualList';

type Candidate = PlanView['candidates'][number];
const ROW_HEIGHT = 44;

export class GcView {
  readonly element: HTMLElement;
  private readonly list: VirtualList<Candidate>;
  private readonly percentRadio: HTMLInputElement;
  private readonly tokensRadio: HTMLInputElement;
  private readonly percentInput: HTMLInputElement;
  private readonly tokensInput: HTMLInputElement;
  private readonly planButton: HTMLButtonElement;
  private readonly summary: HTMLElement;
  private readonly selectAll: HTMLInputElement;
  private readonly selection: HTMLElement;
  private readonly listHead: HTMLElement;
  private readonly applyButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly result: HTMLElement;
  private plan: PlanView | null = null;
  private stale = false;
  private planning = false;
  private applying = false;
  private lastApply: ApplyView | null = null;
  private readonly unticked = new Set<number>();

  constructor(private readonly ctx: PanelContext) {
    const g = ctx.ui.value.gc;
    this.percentRadio = h('input', { type: 'radio', id: 'gc-kind-percent', 'data-testid': 'gc-kind-percent' });
    this.tokensRadio = h('input', { type: 'radio', id: 'gc-kind-tokens', 'data-testid': 'gc-kind-tokens' });
    this.percentRadio.name = this.tokensRadio.name = 'gc-kind';
    this.percentRadio.checked = g.kind === 'percent';
    this.tokensRadio.checked = g.kind === 'tokens';
    this.percentInput = h('input', { type: 'number', class: 'input num', id: 'gc-percent', 'aria-label': 'Target percent of the budget' });
    this.percentInput.min = '0';
    this.percentInput.max = '100';
    this.percentInput.step = '1';
    this.percentInput.value = String(g.percent);
    this.tokensInput = h('input', { type: 'number', class: 'input num wide', id: 'gc-tokens', 'aria-label': 'Tokens to free' });
    this.tokensInput.min = '1';
    this.tokensInput.step = '1';
    this.tokensInput.value = String(g.tokens);
    for (const el of [this.percentRadio, this.tokensRadio, this.percentInput, this.tokensInput]) el.addEventListener('change', () => this.saveTarget());
    this.percentInput.addEventListener('focus', () => (this.percentRadio.checked = true));
    this.tokensInput.addEventListener('focus', () => (this.tokensRadio.checked = true));
    this.planButton = button('Plan', { type: 'submit', 'data-action': 'plan' }, 'sparkle');
    const form = h(
      'form',
      { class: 'gc-target', 'aria-label': 'GC target' },
      h('label', { class: 'radio' }, this.percentRadio, ' Get under ', this.percentInput, ' % of the budget'),
      h('label', { class: 'radio' }, this.tokensRadio, ' Free ', this.tokensInput, ' tokens'),
      this.planButton,
    );
    // Our own validation (with a message that says what to enter), not the browser's bubble.
    form.noValidate = true;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.makePlan();
    });
    this.summary = h('div', { class: 'gc-summary', 'aria-live': 'polite', 'data-testid': 'gc-summary' });
    this.selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every candidate', 'data-testid': 'gc-select-all' });
    this.selectAll.addEventListener('change', () => {
      if (this.selectAll.checked) this.unticked.clear();
      else for (const c of this.plan?.candidates ?? []) this.unticked.add(c.id);
      this.list.refresh();
      this.updateSelection();
    });
    this.selection = h('span', { class: 'muted', 'data-testid': 'gc-selection' });
    this.listHead = h('label', { class: 'list-head' }, this.selectAll, this.selection);
    this.list = new VirtualList<Candidate>({
      label: 'GC candidates',
      className: 'gc-list',
      heightOf: () => ROW_HEIGHT,
      kindOf: () => 'c',
      idOf: (c) => `gc-c-${c.id}`,
      create: () => this.createRow(),
      render: (el, c, _i, active) => this.renderRow(el, c, active),
      onActivate: (c) => this.toggle(c.id),
      onKey: (ev, c) => {
        if (ev.key === ' ') {
          this.toggle(c.id);
          return true;
        }
        return false;
      },
    });
    this.list.element.addEventListener('click', (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>('[data-index]');
      const c = row ? this.list.itemAt(Number(row.dataset.index)) : undefined;
      if (c) this.toggle(c.id);
    });
    this.applyButton = button('Apply', { 'data-action': 'apply' }, 'archive');
    this.applyButton.addEventListener('click', () => void this.apply());
    this.undoButton = button('Undo last GC', { class: 'secondary', 'data-action': 'undo' }, 'discard');
    this.undoButton.addEventListener('click', () => void this.undo());
    this.result = h('div', { class: 'gc-result', role: 'status', 'data-testid': 'gc-result' });
    this.element = h(
      'div',
      { class: 'gc' },
      form,
      this.summary,
      this.listHead,
      this.list.element,
      h('div', { class: 'gc-actions' }, this.applyButton, this.undoButton),
      this.result,
    );
    this.render();
  }

  /** New state from the host: a shown plan may be out of date now. */
  update(): void {
    if (this.plan && !this.planning && !this.applying) this.stale = true;
    this.render();
  }

  shown(): void {
    this.list.refresh();
  }

  focus(): void {
    (this.percentRadio.checked ? this.percentInput : this.tokensInput).focus();
  }

  private target(): GcTarget | string {
    if (this.percentRadio.checked) {
      const p = Number(this.percentInput.value);
      if (!Number.isFinite(p) || p < 0 || p > 100 || this.percentInput.value.trim() === '') return 'Enter a target between 0 and 100 %.';
      return { kind: 'percent', percent: p };
    }
    const n = Number(this.tokensInput.value);
    if (!Number.isInteger(n) || n < 1) return 'Enter how many tokens to free: a whole number, 1 or more.';
    return { kind: 'tokens', tokens: n };
  }

  private saveTarget(): void {
    const t = this.target();
    this.ctx.ui.update((s) => {
      s.gc.kind = this.percentRadio.checked ? 'percent' : 'tokens';
      if (typeof t !== 'string') {
        if (t.kind === 'percent') s.gc.percent = t.percent;
        else s.gc.tokens = t.tokens;
      }
    });
  }

  async makePlan(): Promise<void> {
    const target = this.target();
    if (typeof target === 'string') {
      this.ctx.notify(target, 'error');
      return;
    }
    this.saveTarget();
    this.planning = true;
    this.render();
    const plan = await this.ctx.run('plan a GC', this.ctx.host.request(PlanGcRequest, { target }));
    this.planning = false;
    if (plan) {
      this.plan = plan;
      this.stale = false;
      this.unticked.clear();
      this.lastApply = null;
      this.list.setItems(plan.candidates);
    }
    this.render();
  }

  private selected(): Candidate[] {
    return (this.plan?.candidates ?? []).filter((c) => !this.unticked.has(c.id));
  }

  private toggle(id: number): void {
    if (this.unticked.has(id)) this.unticked.delete(id);
    else this.unticked.add(id);
    this.list.refresh();
    this.updateSelection();
  }

  private async apply(): Promise<void> {
    const chosen = this.selected();
    if (chosen.length === 0) return;
    this.applying = true;
    this.render();
    const r = await this.ctx.run('apply the GC', this.ctx.host.request(ApplyGcRequest, { ids: chosen.map((c) => c.id), mode: 'stash' }));
    this.applying = false;
    if (r) {
      this.lastApply = r;
      this.plan = null;
      this.stale = false;
      this.unticked.clear();
      this.list.setItems([]);
    }
    this.render();
  }

  private async undo(): Promise<void> {
    const r = await this.ctx.run('undo the last GC', this.ctx.host.request(UndoGcRequest, {}));
    if (r) {
      this.lastApply = null;
      this.ctx.notify(`Undone: brought back ${plural(r.ids.length, 'segment')} (${fmt(r.tokenDelta)} tokens). Now ${pct(r.percent)} of the budget.`);
    }
    this.render();
  }

  private render(): void {
    const plan = this.plan;
    const usage = this.ctx.data.usage;
    this.planButton.disabled = this.planning || usage === null;
    replace(this.planButton, icon(this.planning ? 'loading' : 'sparkle', this.planning ? 'codicon-modifier-spin' : ''), this.planning ? 'Planning…' : plan ? 'Re-plan' : 'Plan');
    const undo = this.ctx.data.undo;
    this.undoButton.disabled = !undo.available;
    this.undoButton.title = undo.available ? `Bring back the ${plural(undo.segments, 'segment')} (${fmt(undo.tokens)} tokens) the last GC stashed` : 'No GC to undo';

    if (this.lastApply) {
      const a = this.lastApply;
      replace(
        this.result,
        icon('pass', 'ok'),
        h('span', { 'data-testid': 'gc-result-text' }, `Stashed ${plural(a.collected, 'segment')}, freed ${fmt(a.freedTokens)} tokens: ${fmt(a.before.tokens)} → ${fmt(a.after.tokens)} (${pct(a.before.percent)} → ${pct(a.after.percent)}).`),
        a.skipped > 0 ? h('span', { class: 'muted' }, ` ${plural(a.skipped, 'segment')} had already left the working set.`) : null,
      );
      this.result.hidden = false;
    } else {
      this.result.hidden = true;
      replace(this.result);
    }

    if (!plan) {
      this.listHead.hidden = true;
      this.list.element.hidden = true;
      this.applyButton.hidden = true;
      const u = usage;
      replace(
        this.summary,
        u === null
          ? null
          : h(
              'p',
              { class: 'muted' },
              this.lastApply
                ? 'Plan again to see what else could go.'
                : `The collector keeps pinned segments, the current task's key segments, open editors' segments and the latest messages, and offers the rest, least useful first. Nothing changes until you apply; applying stashes (reversible).`,
            ),
      );
      return;
    }
    this.applyButton.hidden = false;
    if (plan.candidates.length === 0) {
      this.listHead.hidden = true;
      this.list.element.hidden = true;
      this.applyButton.hidden = true;
      replace(
        this.summary,
        h('div', { class: 'empty-state small' }, icon('pass', 'ok'), h('p', {}, plan.targetTokens === 0 ? `Nothing to collect: the working set (${pct(plan.percentBefore)}) is already within the target.` : `Nothing can be collected: everything left is pinned or kept as a root.`)),
        this.staleNote(),
      );
      return;
    }
    this.listHead.hidden = false;
    this.list.element.hidden = false;
    const targetText = plan.target.kind === 'percent' ? `get under ${plan.target.percent}%` : `free ${fmt(plan.target.tokens)} tokens`;
    replace(
      this.summary,
      h('p', {}, `To ${targetText}, stash ${plural(plan.candidates.length, 'segment')} (${fmt(plan.plannedTokens)} tokens).`),
      this.beforeAfter(plan),
      plan.shortfall > 0 ? h('p', { class: 'warning-text' }, icon('warning'), ` ${fmt(plan.shortfall)} tokens of the target cannot be freed: the rest is pinned (${plural(plan.pinnedSegments, 'pinned segment')}) or kept.`) : null,
      this.staleNote(),
    );
    this.updateSelection();
  }

  private staleNote(): HTMLElement | null {
    if (!this.stale) return null;
    const b = button('Re-plan', { class: 'secondary small', 'data-action': 'replan' }, 'refresh');
    b.addEventListener('click', () => void this.makePlan());
    return h('p', { class: 'stale', 'data-testid': 'gc-stale' }, icon('info'), ' The context changed since this plan was made. ', b);
  }

  private beforeAfter(plan: PlanView): HTMLElement {
    const chosen = this.selected().reduce((s, c) => s + c.tokens, 0);
    const after = plan.workingTokens - chosen;
    const afterPct = (after / plan.budget) * 100;
    const bar = (label: string, p: number, tokens: number, cls: string) => {
      const fill = h('span', { class: `ba-fill ${cls}` });
      fill.style.width = `${Math.min(100, p)}%`;
      return h('div', { class: 'ba-row' }, h('span', { class: 'ba-label' }, label), h('span', { class: 'ba-track' }, fill), h('span', { class: 'ba-value' }, `${compact(tokens)} · ${pct(p)}`));
    };
    return h('div', { class: 'before-after', 'data-testid': 'gc-before-after' }, bar('Now', plan.percentBefore, plan.workingTokens, 'before'), bar('After', afterPct, after, 'after'));
  }

  private updateSelection(): void {
    const plan = this.plan;
    if (!plan) return;
    const chosen = this.selected();
    const tokens = chosen.reduce((s, c) => s + c.tokens, 0);
    this.selectAll.checked = chosen.length === plan.candidates.length;
    this.selectAll.indeterminate = chosen.length > 0 && chosen.length < plan.candidates.length;
    replace(this.selection, `${fmt(chosen.length)} of ${plural(plan.candidates.length, 'candidate')} selected · ${fmt(tokens)} tokens`);
    this.applyButton.disabled = chosen.length === 0 || this.applying;
    replace(this.applyButton, icon(this.applying ? 'loading' : 'archive', this.applying ? 'codicon-modifier-spin' : ''), this.applying ? 'Stashing…' : `Stash ${plural(chosen.length, 'segment')} (${compact(tokens)} tokens)`);
    const ba = this.summary.querySelector('.before-after');
    if (ba) ba.replaceWith(this.beforeAfter(plan));
  }

  private createRow(): HTMLElement {
    const cb = h('input', { type: 'checkbox', tabIndex: -1, 'aria-hidden': 'true' });
    return h(
      'div',
      { class: 'gc-row', role: 'option' },
      cb,
      icon('code', 'row-icon'),
      h('div', { class: 'row-main' }, h('div', { class: 'row-title' }), h('div', { class: 'row-sub muted' })),
      h('span', { class: 'row-tokens' }),
    );
  }

  private renderRow(el: HTMLElement, c: Candidate, active: boolean): void {
    const on = !this.unticked.has(c.id);
    el.classList.toggle('active', active);
    el.classList.toggle('unticked', !on);
    el.setAttribute('aria-selected', String(active));
    el.setAttribute('aria-checked', String(on));
    el.dataset.id = String(c.id);
    const [cb, ic, main, tokens] = el.children as unknown as HTMLElement[];
    (cb as HTMLInputElement).checked = on;
    ic.className = `codicon codicon-${TYPE_ICON[c.type]} row-icon type-${c.type}`;
    const [title, sub] = main.children as unknown as HTMLElement[];
    title.textContent = `${c.title || '(empty)'}${c.file ? ` — ${shortPath(c.file, 40)}` : ''}`;
    sub.textContent = c.reason;
    el.title = `#${c.id}: ${c.reason} (score ${c.score})`;
    tokens.textContent = compact(c.tokens);
  }
}
