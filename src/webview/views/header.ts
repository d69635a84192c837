// The always-visible top of the panel: the task bar (current task, switch, new, snapshot) and the budget
// meter (tokens used of the budget, with the warning bands marked on the track).

import { SetTaskRequest, SnapshotTaskRequest } from '../../protocol/webview';
import type { PanelContext } from '../context';
import { button, h, icon, iconButton, replace } from '../dom';
import { fmt, pct, plural } from '../format';

export class TaskBar {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly snapshot: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;

  constructor(private readonly ctx: PanelContext) {
    this.select = h('select', { class: 'task-select', id: 'task-select', 'aria-label': 'Current task' });
    this.select.addEventListener('change', () => {
      const v = this.select.value;
      if (v !== '' && v !== this.ctx.data.tasks?.current) void this.switchTo(v);
    });
    const add = iconButton('add', 'New task…', { 'data-action': 'new-task' });
    this.snapshot = iconButton('save', 'Snapshot the current task (saves what is needed to resume it)', { 'data-action': 'snapshot' });
    this.input = h('input', { type: 'text', class: 'input', 'aria-label': 'New task name', id: 'new-task-name' });
    this.input.placeholder = 'New task name, e.g. fix-login-bug';
    this.input.maxLength = 200;
    const cancel = button('Cancel', { class: 'secondary', 'data-action': 'cancel-task' });
    this.form = h('form', { class: 'new-task', 'aria-label': 'Start a new task' }, this.input, button('Start', { type: 'submit', 'data-action': 'start-task' }), cancel);
    this.form.hidden = true;
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const name = this.input.value.trim();
      if (name === '') {
        this.ctx.notify('Give the task a name first.', 'error');
        return;
      }
      void this.switchTo(name).then(() => this.closeForm());
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.closeForm();
    });
    cancel.addEventListener('click', () => this.closeForm());
    add.addEventListener('click', () => {
      this.form.hidden = false;
      this.input.value = '';
      this.input.focus();
    });
    this.snapshot.addEventListener('click', () => void this.takeSnapshot());
    this.element = h('div', { class: 'taskbar' }, h('div', { class: 'taskbar-row' }, icon('tasklist', 'muted'), this.select, add, this.snapshot), this.form);
  }

  update(): void {
    const t = this.ctx.data.tasks;
    const current = t?.current ?? null;
    const options: HTMLOptionElement[] = [];
    if (current === null) {
      const o = h('option', {}, t === null ? 'Loading tasks…' : 'No current task');
      o.value = '';
      options.push(o);
    }
    for (const task of t?.tasks ?? []) {
      const o = h('option', { title: task.id }, task.title);
      o.value = task.id;
      options.push(o);
    }
    if (current !== null && !(t?.tasks ?? []).some((x) => x.id === current)) {
      const o = h('option', {}, current);
      o.value = current;
      options.unshift(o);
    }
    replace(this.select, ...options);
    this.select.value = current ?? '';
    this.select.disabled = t === null;
    this.snapshot.disabled = current === null;
  }

  private closeForm(): void {
    this.form.hidden = true;
    this.select.focus();
  }

  private async switchTo(taskId: string): Promise<void> {
    const r = await this.ctx.run(`switch to task "${taskId}"`, this.ctx.host.request(SetTaskRequest, { taskId }));
    if (!r) {
      this.update();
      return;
    }
    const parts = [`Current task: ${r.current}.`];
    if (r.stashed > 0) parts.push(`Stashed ${plural(r.stashed, 'segment')} of ${r.previous ?? 'the previous task'}.`);
    if (r.restored > 0) parts.push(`Brought back ${plural(r.restored, 'segment')}.`);
    this.ctx.notify(parts.join(' '));
  }

  private async takeSnapshot(): Promise<void> {
    const r = await this.ctx.run('snapshot the task', this.ctx.host.request(SnapshotTaskRequest, {}));
    if (r) this.ctx.notify(`Snapshot of ${r.taskId} saved as segment #${r.id} (${fmt(r.tokens)} tokens).`);
  }
}

export class Meter {
  readonly element: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly track: HTMLElement;
  private readonly text: HTMLElement;
  private readonly sub: HTMLElement;

  constructor(private readonly ctx: PanelContext) {
    this.fill = h('div', { class: 'meter-fill' });
    this.track = h('div', { class: 'meter-track', role: 'meter', 'aria-label': 'Context budget used', 'aria-valuemin': '0', 'aria-valuemax': '100' }, this.fill);
    this.text = h('div', { class: 'meter-text' });
    this.sub = h('div', { class: 'meter-sub muted' });
    this.element = h('section', { class: 'meter', 'aria-label': 'Budget' }, this.text, this.track, this.sub);
  }

  update(): void {
    const u = this.ctx.data.usage;
    const status = this.ctx.data.status;
    if (!u) {
      this.element.classList.add('empty');
      this.fill.style.width = '0%';
      this.track.setAttribute('aria-valuenow', '0');
      replace(this.text, status.kind === 'error' ? 'Budget unavailable' : 'Measuring context…');
      replace(this.sub, '');
      return;
    }
    this.element.classList.remove('empty');
    const shown = Math.min(100, u.percent);
    this.fill.style.width = `${shown}%`;
    this.fill.className = `meter-fill band-${u.band}`;
    this.track.setAttribute('aria-valuenow', String(shown));
    this.track.setAttribute('aria-valuetext', `${pct(u.percent)}: ${fmt(u.workingTokens)} of ${fmt(u.budget)} tokens (${u.band})`);
    for (const t of this.track.querySelectorAll('.meter-tick')) t.remove();
    for (const th of u.thresholds) {
      const tick = h('div', { class: `meter-tick${u.percent >= th ? ' passed' : ''}`, title: `${th}% warning band` });
      tick.style.left = `${th}%`;
      this.track.appendChild(tick);
    }
    replace(
      this.text,
      h('span', { class: 'meter-used', 'data-testid': 'meter-used' }, fmt(u.workingTokens)),
      h('span', { class: 'muted' }, ` / ${fmt(u.budget)} tokens`),
      h('span', { class: `meter-pct band-text-${u.band}`, 'data-testid': 'meter-pct' }, pct(u.percent)),
    );
    const from = u.budgetSource === 'model' ? `budget of ${u.model ?? 'the selected model'}` : u.budgetSource === 'setting' ? 'budget from settings' : 'default budget';
    replace(this.sub, `${from} · ${u.encoding} · ${fmt(u.workingSegments)} in context · ${fmt(u.stashedSegments)} stashed`);
    this.sub.title = `${fmt(u.budget)}-token ${from}; counted with ${u.encoding}; ${plural(u.workingSegments, 'segment')} in context, ${plural(u.stashedSegments, 'segment')} (${fmt(u.stashedTokens)} tokens) in the stash`;
  }
}
