// Editors bound to context: a file opened is a code segment (workspace-relative path, current task),
// refreshed when it changed; visible files are GC roots; excluded and huge files; the last tab closing
// stashes the file, one of two tabs closing does not, a language-mode change does not; reopening offers
// to restore the file's notes and decisions.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { capture, closeTabs, configure, engine, idle, list, ok, open, reset, waitFor, writeFile } from './helpers';

const fileSegments = async (rel: string) => (await list({ filePath: rel })).filter((m) => m.tags.includes('file') && m.source === 'editor');

suite('Context GC host: editors', () => {
  setup(reset);
  suiteTeardown(reset);

  test('opening a file records one code segment with its workspace-relative path and the current task', async () => {
    await ok('contextGc.setCurrentTask', { taskId: 'editor-task' });
    writeFile('src/alpha.ts', 'export const alpha = 1;\n');
    await open('src/alpha.ts');
    const segs = await fileSegments('src/alpha.ts');
    assert.equal(segs.length, 1);
    assert.deepEqual(
      { type: segs[0].type, tier: segs[0].tier, taskId: segs[0].taskId, source: segs[0].source, title: segs[0].title },
      { type: 'code', tier: 'working', taskId: 'editor-task', source: 'editor', title: 'export const alpha = 1;' },
    );
  });

  test('the active and visible editors are the GC roots', async () => {
    writeFile('src/one.ts', 'one\n');
    writeFile('src/two.ts', 'two\n');
    await open('src/one.ts', vscode.ViewColumn.One);
    await open('src/two.ts', vscode.ViewColumn.Two);
    const info = await engine<{ activeFiles: string[] }>('info');
    assert.deepEqual([...info.activeFiles].sort(), ['src/one.ts', 'src/two.ts']);
  });

  test('a changed file refreshes its segment instead of adding another', async () => {
    const uri = writeFile('src/beta.ts', 'let beta = 1;\n');
    await open('src/beta.ts');
    const [before] = await fileSegments('src/beta.ts');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(1, 0), 'beta = beta + 41; // the answer\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.ok(await doc.save());
    const after = await waitFor('the segment to refresh', async () => {
      await idle();
      const [s] = await fileSegments('src/beta.ts');
      return s && s.textHash !== before.textHash ? s : undefined;
    });
    assert.equal(after.id, before.id);
    assert.equal((await fileSegments('src/beta.ts')).length, 1);
    const seg = await engine<{ text: string }>('get', after.id);
    assert.equal(seg.text, 'let beta = 1;\nbeta = beta + 41; // the answer\n');
  });

  test('excluded and generated files are never recorded', async () => {
    writeFile('dist/bundle.js', 'var x = 1;\n');
    writeFile('lib/app.min.js', 'var y=2;\n');
    writeFile('gen/schema.ts', 'export {};\n');
    await configure({ excludedGlobs: ['**/dist/**', 'gen/**'] });
    await open('dist/bundle.js');
    await open('lib/app.min.js');
    await open('gen/schema.ts');
    assert.deepEqual(await list(), []);
  });

  test('a huge file is cut to contextGc.maxFileSize with a note', async () => {
    await configure({ maxFileSize: 2048 });
    const line = 'const value = "0123456789012345678901234567890123456789";\n';
    writeFile('src/huge.ts', line.repeat(200));
    await open('src/huge.ts');
    const [seg] = await fileSegments('src/huge.ts');
    const text = (await engine<{ text: string }>('get', seg.id)).text;
    const kept = line.repeat(Math.floor(2048 / line.length));
    assert.equal(text, `${kept}\n[Context GC: src/huge.ts is ${(line.length * 200).toLocaleString('en-US')} characters; only the first ${kept.length.toLocaleString('en-US')} are kept here. Open the file for the rest.]`);
  });

  test('closing the last tab of a file stashes its segments; pinned ones stay', async () => {
    writeFile('src/gamma.ts', 'export function gamma() {}\n');
    await open('src/gamma.ts');
    const note = await ok<{ id: number }>('contextGc.addNote', { text: 'gamma must stay pure' });
    const pinned = await ok<{ id: number }>('contextGc.addDecision', { text: 'gamma is public API', pinned: true });
    const before = (await totals2()).workingTokens;
    await closeTabs('src/gamma.ts');
    const segs = await list({ filePath: 'src/gamma.ts' });
    assert.deepEqual(segs.map((m) => [m.id, m.tier]).sort(), [[segs.find((m) => m.tags.includes('file'))!.id, 'stashed'], [note.id, 'stashed'], [pinned.id, 'working']].sort());
    assert.ok((await totals2()).workingTokens < before);
  });

  test('closing one of two tabs of a file does not stash it', async () => {
    writeFile('src/delta.ts', 'export const delta = 4;\n');
    await open('src/delta.ts', vscode.ViewColumn.One);
    await open('src/delta.ts', vscode.ViewColumn.Two);
    await closeTabs('src/delta.ts', vscode.window.tabGroups.all[0]);
    assert.deepEqual((await fileSegments('src/delta.ts')).map((m) => m.tier), ['working']);
    await closeTabs('src/delta.ts');
    assert.deepEqual((await fileSegments('src/delta.ts')).map((m) => m.tier), ['stashed']);
  });

  test('a language-mode change (which closes and reopens the document) does not stash', async () => {
    writeFile('src/epsilon.txt', 'plain text first\n');
    const ed = await open('src/epsilon.txt');
    await vscode.languages.setTextDocumentLanguage(ed.document, 'markdown');
    await idle();
    assert.deepEqual((await fileSegments('src/epsilon.txt')).map((m) => m.tier), ['working']);
  });

  test('with contextGc.autoStashOnClose off, closing keeps the segments', async () => {
    await configure({ autoStashOnClose: false });
    writeFile('src/zeta.ts', 'export const zeta = 6;\n');
    await open('src/zeta.ts');
    await closeTabs('src/zeta.ts');
    assert.deepEqual((await fileSegments('src/zeta.ts')).map((m) => m.tier), ['working']);
  });

  test('reopening a file restores its segment and offers to restore its notes and decisions', async () => {
    writeFile('src/eta.ts', 'export const eta = 7;\n');
    await open('src/eta.ts');
    const note = await ok<{ id: number }>('contextGc.addNote', { text: 'eta is seven' });
    const decision = await ok<{ id: number }>('contextGc.addDecision', { text: 'keep eta constant' });
    await closeTabs('src/eta.ts');
    assert.deepEqual((await list({ filePath: 'src/eta.ts', tier: 'working' })).length, 0);
    const shown = capture('showInformationMessage', (m, buttons) => (m.startsWith('src/eta.ts has') ? buttons[0] : undefined));
    try {
      await open('src/eta.ts');
      await waitFor('the restore offer', () => (shown.messages.some((m) => m.startsWith('src/eta.ts has')) ? true : undefined));
      await waitFor('the notes to come back', async () => ((await list({ filePath: 'src/eta.ts', tier: 'working' })).length === 3 ? true : undefined));
    } finally {
      shown.restore();
    }
    const offer = shown.messages.find((m) => m.startsWith('src/eta.ts has'));
    const tokens = (await list({ filePath: 'src/eta.ts' })).filter((m) => m.id === note.id || m.id === decision.id).reduce((s, m) => s + m.tokens, 0);
    assert.equal(offer, `src/eta.ts has 2 stashed segments (notes and decisions, ${tokens} tokens). Restore them to the context?`);
  });
});

async function totals2(): Promise<{ workingTokens: number }> {
  return engine('totals');
}
