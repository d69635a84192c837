// Task commands: set the current task (switching stashes the previous task's working segments and brings
// back what was stashed when this task was left), show a task's context, snapshot a task.

import * as vscode from 'vscode';
import { Commands } from '../commandIds';
import { describe, impact, plural } from '../format';
import { taskMarkdown, type Reports } from '../reports';
import { argsOf, done, UserError, type CommandDef } from './base';

const NEW_TASK = '$(add) New task…';

export function taskCommands(reports: Reports): CommandDef[] {
  return [
    {
      id: Commands.setCurrentTask,
      async run(s, raw) {
        const a = argsOf<{ taskId: string; title: string; stashPrevious: boolean }>(raw);
        const engine = await s.host.engine();
        let taskId = a.taskId;
        if (taskId === undefined) {
          const tasks = await engine.listTasks();
          const current = (await engine.info()).currentTask;
          const items: vscode.QuickPickItem[] = [
            { label: NEW_TASK, alwaysShow: true },
            ...tasks.map((t) => ({ label: t.id, description: `${t.title !== t.id ? t.title : ''}${t.id === current ? ' (current)' : ''}`.trim() })),
          ];
          const pick = await vscode.window.showQuickPick(items, { title: 'Context GC: set the current task' });
          if (!pick) return undefined;
          if (pick.label === NEW_TASK) {
            taskId = await vscode.window.showInputBox({
              title: 'Context GC: new task',
              prompt: 'A short name for the task (e.g. "fix-login-timeout")',
              validateInput: (v) => (v.trim() === '' ? 'Give the task a name.' : v.length > 256 ? 'At most 256 characters.' : undefined),
            });
            if (taskId === undefined) return undefined;
            taskId = taskId.trim();
          } else taskId = pick.label;
        }
        if (typeof taskId !== 'string' || taskId.trim() === '') throw new UserError('taskId must be a non-empty string.');
        const r = await engine.setCurrentTask(taskId, { title: a.title, stashPrevious: a.stashPrevious });
        const parts = [`Current task: ${taskId}${r.previous && r.previous !== taskId ? ` (was ${r.previous})` : ''}.`];
        if (r.stashed.length) parts.push(`Stashed ${plural(r.stashed.length, 'segment')} of ${r.previous}.`);
        if (r.restored.length) parts.push(`Restored ${plural(r.restored.length, 'segment')} of ${taskId}.`);
        parts.push(`New segments belong to ${taskId}: ${impact(r.tokenDelta, s.host.currentTotals())}`);
        return done(parts.join(' '), { taskId, previous: r.previous, stashed: r.stashed, restored: r.restored, tokenDelta: r.tokenDelta });
      },
    },
    {
      id: Commands.showTaskContext,
      async run(s, raw) {
        const a = argsOf<{ taskId: string; open: boolean }>(raw);
        const engine = await s.host.engine();
        const c = await engine.taskContext(a.taskId);
        if (a.open !== false) await reports.show(`Task ${c.task.id}`, taskMarkdown(c));
        const msg = `Task ${c.task.id}: ${plural(c.workingSegments, 'working segment')} (${c.workingTokens.toLocaleString('en-US')} tokens), ${plural(c.stashedSegments, 'stashed segment')}, ${plural(c.files.length, 'file')}, ${plural(c.snapshots.length, 'snapshot')}; no token change.`;
        return { message: msg, context: c };
      },
    },
    {
      id: Commands.snapshotTask,
      async run(s, raw) {
        const a = argsOf<{ taskId: string }>(raw);
        const engine = await s.host.engine();
        const meta = await engine.snapshotTask(a.taskId);
        return done(`Snapshot ${describe(meta)} of task ${meta.taskId}: it lists the task's pins, decisions, recent messages and files, so the task can resume after its detail is stashed; ${impact(meta.tokens, s.host.currentTotals())}`, { id: meta.id, tokens: meta.tokens });
      },
    },
  ];
}
