// Read-only Markdown reports (usage details, task context) shown as virtual documents under the
// `context-gc:` scheme: closing them never asks to save, and they are never recorded as context
// (only workspace files are).

import * as vscode from 'vscode';
import type { UsageReport } from '../engine/analysis';
import type { TaskContext } from '../engine/tasks';
import { count, describe, plural } from './format';

export const REPORT_SCHEME = 'context-gc';

export class Reports implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.path) ?? '(This report is no longer available: run the command again.)';
  }

  /** Shows `markdown` as the read-only document `name` (replacing an earlier one of the same name). */
  async show(name: string, markdown: string): Promise<vscode.TextDocument> {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${name}.md` });
    this.docs.set(uri.path, markdown);
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  dispose(): void {
    this.registration.dispose();
    this.emitter.dispose();
  }
}

export function usageMarkdown(u: UsageReport): string {
  const out = [
    '# Context GC usage',
    '',
    `**${count(u.workingTokens)} / ${count(u.budget)} tokens (${u.percent}%, ${u.band})** in ${plural(u.workingSegments, 'working segment')}; ${count(u.remainingTokens)} tokens left.`,
    '',
    `Stashed: ${plural(u.stashedSegments, 'segment')}, ${count(u.stashedTokens)} tokens. Pinned: ${plural(u.pinnedSegments, 'segment')}, ${count(u.pinnedTokens)} tokens. Unreachable: ${count(u.unreachableTokens)} tokens.`,
    '',
    `Current task: ${u.currentTask ?? '(none)'}. Health: ${u.health.score}/100.`,
    '',
    '## By type',
    '',
    '| type | segments | tokens |',
    '| --- | ---: | ---: |',
    ...Object.entries(u.byType)
      .filter(([, v]) => v.segments > 0)
      .map(([k, v]) => `| ${k} | ${count(v.segments)} | ${count(v.tokens)} |`),
    '',
    '## By task',
    '',
    ...u.byTask.slice(0, 20).map((t) => `- ${t.taskId ?? '(no task)'}: ${count(t.tokens)} tokens in ${plural(t.segments, 'segment')}`),
  ];
  if (u.health.factors.length) out.push('', '## Health', '', ...u.health.factors.map((f) => `- ${f.name}: ${f.detail} (−${f.penalty})`));
  if (u.warnings.length) out.push('', '## Warnings', '', ...u.warnings.map((w) => `- ${w}`));
  if (u.recommendations.length) out.push('', '## Recommendations', '', ...u.recommendations.map((r) => `- ${r.detail}${r.estimatedTokens ? ` (~${count(r.estimatedTokens)} tokens)` : ''}`));
  return out.join('\n') + '\n';
}

export function taskMarkdown(c: TaskContext): string {
  const out = [
    `# Task: ${c.task.title}${c.task.title !== c.task.id ? ` (${c.task.id})` : ''}${c.current ? ' — current' : ''}`,
    '',
    `Working: ${plural(c.workingSegments, 'segment')}, ${count(c.workingTokens)} tokens. Stashed: ${plural(c.stashedSegments, 'segment')}, ${count(c.stashedTokens)} tokens.`,
  ];
  if (c.files.length) out.push('', '## Files', '', ...c.files.map((f) => `- ${f.path}: ${count(f.tokens)} tokens`));
  if (c.working.length) {
    out.push('', `## Working segments${c.workingSegments > c.working.length ? ` (latest ${c.working.length})` : ''}`, '', ...c.working.map((m) => `- ${describe(m)}${m.pinned ? ' — pinned' : ''}`));
  }
  if (c.snapshots.length) out.push('', '## Snapshots', '', ...c.snapshots.map((s) => `- #${s.id}, ${new Date(s.createdAt).toISOString()}, ${count(s.tokens)} tokens`));
  return out.join('\n') + '\n';
}
