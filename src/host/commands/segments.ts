// Commands that add, stash, restore and pin segments, and search the stash.

import * as vscode from 'vscode';
import type { SegmentMeta, SegmentType } from '../../engine/model';
import { Commands } from '../commandIds';
import { count, describe, impact, plural } from '../format';
import { activeFile, argsOf, done, idsArg, pickSegments, segmentItem, UserError, type CommandDef, type Services } from './base';

interface IdsArgs {
  ids: number[] | number;
}

/** A selection's text and 1-based line range. */
function selectionOf(editor: vscode.TextEditor): { text: string; lineStart: number; lineEnd: number } {
  const sel = editor.selection;
  const text = editor.document.getText(sel);
  if (text.trim() === '') throw new UserError('The selection is only whitespace; select some text first.');
  // A selection ending at column 0 of a line does not include that line.
  const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
  return { text, lineStart: sel.start.line + 1, lineEnd: endLine + 1 };
}

async function addText(s: Services, type: SegmentType, raw: unknown, prompt: string, tags: string[]): Promise<ReturnType<typeof done> | undefined> {
  const a = argsOf<{ text: string; filePath: string | null; pinned: boolean }>(raw);
  let text = a.text;
  if (text === undefined) {
    text = await vscode.window.showInputBox({
      title: `Context GC: Add ${type === 'note' ? 'Note' : 'Decision'}`,
      prompt,
      validateInput: (v) => (v.trim() === '' ? 'Type some text, or press Escape to cancel.' : undefined),
    });
    if (text === undefined) return undefined;
  }
  // A note or decision made while a file is open belongs to that file (and comes back when it reopens).
  let filePath = a.filePath;
  if (filePath === undefined) {
    const ed = vscode.window.activeTextEditor;
    filePath = ed ? (s.binder.relativePath(ed.document.uri).path ?? null) : null;
  }
  const engine = await s.host.engine();
  const meta = await engine.add({ type, text, filePath, tags, source: 'user', pinned: a.pinned === true });
  return done(`Added ${describe(meta)}${filePath ? ` to ${filePath}` : ''}: ${impact(meta.tokens, s.host.currentTotals())}`, { id: meta.id, tokens: meta.tokens });
}

export const segmentCommands: CommandDef[] = [
  {
    id: Commands.addNote,
    run: (s, raw) => addText(s, 'note', raw, 'A note to keep in the context (what you learned, what to remember).', []),
  },
  {
    id: Commands.addDecision,
    run: (s, raw) => addText(s, 'decision', raw, 'A decision and why (decisions are kept longest and roots of the current task).', []),
  },
  {
    id: Commands.addSelection,
    async run(s) {
      const { editor, filePath } = activeFile(s, true);
      const sel = selectionOf(editor);
      const engine = await s.host.engine();
      const meta = await engine.add({ type: 'code', text: sel.text, filePath, lineStart: sel.lineStart, lineEnd: sel.lineEnd, tags: ['selection'], source: 'user' });
      return done(`Added ${describe(meta)}: ${impact(meta.tokens, s.host.currentTotals())}`, { id: meta.id, tokens: meta.tokens });
    },
  },
  {
    id: Commands.stashSelection,
    async run(s) {
      // Keeps the selection out of the context but searchable: it goes straight to the stash.
      const { editor, filePath } = activeFile(s, true);
      const sel = selectionOf(editor);
      const engine = await s.host.engine();
      const meta = await engine.add({ type: 'code', text: sel.text, filePath, lineStart: sel.lineStart, lineEnd: sel.lineEnd, tags: ['selection'], source: 'user', tier: 'stashed' });
      return done(`Stashed ${describe(meta)}: kept out of the context (no token change); find it with Search Stash.`, { id: meta.id, tokens: meta.tokens });
    },
  },
  {
    id: Commands.stashFile,
    async run(s, raw) {
      let filePath = argsOf<{ filePath: string }>(raw).filePath;
      if (filePath === undefined && raw instanceof vscode.Uri) {
        filePath = s.binder.relativePath(raw).path;
        if (!filePath) throw new UserError(`${raw.fsPath} is not in the workspace.`);
      }
      filePath ??= activeFile(s, false).filePath;
      const r = await s.host.call('stashFile', filePath);
      const pinned = r.keptPinned.length > 0 ? ` ${plural(r.keptPinned.length, 'pinned segment')} stayed.` : '';
      if (r.stashed.length === 0) return done(`Nothing of ${filePath} is in the context to stash.${pinned}`, { ids: [], tokenDelta: 0 });
      return done(`Stashed ${plural(r.stashed.length, 'segment')} of ${filePath}: ${impact(r.tokenDelta, r.totals)}${pinned}`, { ids: r.stashed, tokenDelta: r.tokenDelta });
    },
  },
  {
    id: Commands.stashSegment,
    async run(s, raw) {
      const engine = await s.host.engine();
      const ids =
        idsArg(argsOf<IdsArgs>(raw).ids) ??
        (await pickSegments(engine, { title: 'Context GC: stash which segments?', query: { tier: 'working', pinned: false }, many: true, empty: 'No unpinned segments are in the context.' }));
      if (!ids) return undefined;
      const c = await engine.stash(ids);
      return done(`Stashed ${plural(c.ids.length, 'segment')}${c.unchanged.length ? ` (${c.unchanged.length} already stashed)` : ''}: ${impact(c.tokenDelta, s.host.currentTotals())}`, { ids: c.ids, tokenDelta: c.tokenDelta });
    },
  },
  {
    id: Commands.restore,
    async run(s, raw) {
      const engine = await s.host.engine();
      const ids =
        idsArg(argsOf<IdsArgs>(raw).ids) ??
        (await pickSegments(engine, { title: 'Context GC: restore which segments?', query: { tier: 'stashed' }, many: true, empty: 'The stash is empty.' }));
      if (!ids) return undefined;
      const c = await engine.restore(ids);
      return done(`Restored ${plural(c.ids.length, 'segment')}${c.unchanged.length ? ` (${c.unchanged.length} already in the context)` : ''}: ${impact(c.tokenDelta, s.host.currentTotals())}`, { ids: c.ids, tokenDelta: c.tokenDelta });
    },
  },
  {
    id: Commands.pin,
    async run(s, raw) {
      const engine = await s.host.engine();
      const ids =
        idsArg(argsOf<IdsArgs>(raw).ids) ??
        (await pickSegments(engine, { title: 'Context GC: pin which segments? (pinned segments are never collected)', query: { pinned: false, tier: 'working' }, many: true, empty: 'Every segment in the context is already pinned.' }));
      if (!ids) return undefined;
      const c = await engine.pin(ids);
      return done(`Pinned ${plural(c.ids.length, 'segment')}${c.unchanged.length ? ` (${c.unchanged.length} already pinned)` : ''}: GC will never collect ${c.ids.length === 1 ? 'it' : 'them'}; no token change.`, { ids: c.ids });
    },
  },
  {
    id: Commands.unpin,
    async run(s, raw) {
      const engine = await s.host.engine();
      const ids =
        idsArg(argsOf<IdsArgs>(raw).ids) ??
        (await pickSegments(engine, { title: 'Context GC: unpin which segments?', query: { pinned: true }, many: true, empty: 'No segment is pinned.' }));
      if (!ids) return undefined;
      const c = await engine.unpin(ids);
      return done(`Unpinned ${plural(c.ids.length, 'segment')}${c.unchanged.length ? ` (${c.unchanged.length} were not pinned)` : ''}: GC may collect ${c.ids.length === 1 ? 'it' : 'them'} now; no token change.`, { ids: c.ids });
    },
  },
  {
    id: Commands.searchStash,
    async run(s, raw) {
      const a = argsOf<{ query: string; restore: number[] | number; limit: number }>(raw);
      const engine = await s.host.engine();
      const restoreIds = idsArg(a.restore);
      if (restoreIds) {
        const c = await engine.restore(restoreIds);
        return done(`Restored ${plural(c.ids.length, 'segment')} from the stash: ${impact(c.tokenDelta, s.host.currentTotals())}`, { ids: c.ids, tokenDelta: c.tokenDelta });
      }
      const limit = a.limit ?? 50;
      let picked: number[] | undefined;
      if (a.query !== undefined) {
        // Scripted: one search, its hits in a plain quick pick.
        const res = await engine.search({ query: a.query, tier: 'stashed', limit });
        if (res.hits.length === 0) return done(`No stashed segment matches “${a.query}”.`, { ids: [], hits: 0 });
        const items = res.hits.map((h) => segmentItem(h.meta, h.snippet.replace(/\s+/g, ' ').trim() || undefined));
        const sel = await vscode.window.showQuickPick(items, { title: `Context GC: ${plural(res.total, 'stashed match', 'stashed matches')} for “${a.query}” (pick to restore)`, canPickMany: true, matchOnDetail: true });
        picked = sel?.map((i) => i.id);
      } else {
        picked = await searchPick(s, limit);
      }
      if (!picked || picked.length === 0) return undefined;
      const c = await engine.restore(picked);
      return done(`Restored ${plural(c.ids.length, 'segment')} from the stash: ${impact(c.tokenDelta, s.host.currentTotals())}`, { ids: c.ids, tokenDelta: c.tokenDelta });
    },
  },
];

/**
 * A quick pick over the stash that searches as the user types (snippets as details); accepting restores the
 * picked hits. Empty query: the most recently stashed.
 */
async function searchPick(s: Services, limit: number): Promise<number[] | undefined> {
  const engine = await s.host.engine();
  const qp = vscode.window.createQuickPick<ReturnType<typeof segmentItem>>();
  qp.title = 'Context GC: search the stash (pick to restore)';
  qp.placeholder = 'Words, identifiers or paths; Enter restores the picked segments';
  qp.canSelectMany = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  let seq = 0;
  const run = async (query: string) => {
    const mine = ++seq;
    qp.busy = true;
    try {
      const res = query.trim() === '' ? undefined : await engine.search({ query, tier: 'stashed', limit });
      const metas: { meta: SegmentMeta; snippet: string }[] = res
        ? res.hits.map((h) => ({ meta: h.meta, snippet: h.snippet }))
        : (await engine.list({ tier: 'stashed', sort: 'recent', limit })).map((m) => ({ meta: m, snippet: '' }));
      if (mine !== seq) return;
      qp.items = metas.map(({ meta, snippet }) => segmentItem(meta, snippet.replace(/\s+/g, ' ').trim() || undefined));
      qp.title = res ? `Context GC: ${plural(res.total, 'stashed match', 'stashed matches')} for “${query}”${res.total > res.hits.length ? ` (best ${res.hits.length})` : ''}` : `Context GC: the stash (most recent ${count(metas.length)})`;
    } catch (err) {
      if (mine === seq) qp.title = `Context GC: ${(err as Error).message}`;
    } finally {
      if (mine === seq) qp.busy = false;
    }
  };
  return new Promise<number[] | undefined>((resolve) => {
    const subs: vscode.Disposable[] = [];
    let result: number[] | undefined;
    subs.push(
      // The quick pick filters the shown items itself; searching again brings in matches beyond them.
      qp.onDidChangeValue((v) => void run(v)),
      qp.onDidAccept(() => {
        result = (qp.selectedItems.length > 0 ? qp.selectedItems : qp.activeItems).map((i) => i.id);
        qp.hide();
      }),
      qp.onDidHide(() => {
        for (const d of subs) d.dispose();
        qp.dispose();
        resolve(result);
      }),
    );
    qp.show();
    void run('');
  });
}
