// The engine worker and its RPC client, over a real worker thread running src/host/engineWorker.ts (through
// tsx) and a real sql.js store on disk: request/response, ContextGcError reasons across the thread, pushed
// change events, calls queued before the store is open, editor binding, stash on close, the single-writer lock.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ContextGcError } from '../../src/engine/model';
import type { ChangeResult } from '../../src/engine/engine';
import { EngineClient, WorkerError } from '../../src/host/rpc/client';
import type { InitOptions, Totals } from '../../src/host/rpc/protocol';
import { FILE_TAG, truncationNote } from '../../src/host/worker/service';
import { tempDir } from '../engine/storeHelpers';

const SCRIPT = path.join(__dirname, '..', '..', 'src', 'host', 'engineWorker.ts');

function startWorker(): Worker {
  const tsx = require.resolve(['tsx', 'cjs'].join('/'));
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(SCRIPT)});`, { eval: true });
}

function options(storeDir: string | null, budget = 1000): InitOptions {
  return { storeDir, searchDir: storeDir ? storeDir + '-search' : null, encoding: 'o200k_base', settings: { budget, thresholds: [60, 80, 90], recentMessages: 20 }, project: 'demo', purpose: 'rpc test' };
}

const words = (n: number): string => Array.from({ length: n }, () => 'w').join(' ');

describe('engine worker RPC', () => {
  let dir: string;
  let client: EngineClient;
  const changes: ChangeResult[] = [];
  const totals: Totals[] = [];

  before(async () => {
    dir = tempDir('rpc');
    client = new EngineClient(startWorker(), { onChange: (c) => changes.push(c), onTotals: (t) => totals.push(t) });
    // Asked before the store is open: waits for it instead of failing.
    const early = client.engine.totals();
    const info = await client.start(options(path.join(dir, 'store')));
    assert.equal(info.storeKind, 'sqlite');
    assert.equal(info.segments, 0);
    assert.deepEqual(await early, { workingTokens: 0, workingSegments: 0, percent: 0, budget: 1000 });
  });

  after(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('forwards engine calls and pushes the change before the answer', async () => {
    const meta = await client.engine.add({ text: words(100), type: 'note' });
    assert.equal(meta.id, 1);
    assert.equal(meta.tokens, 100);
    assert.deepEqual(changes.at(-1), { action: 'add', ids: [1], tokenDelta: 100, workingTokens: 100, workingSegments: 1, percent: 10, unchanged: [] });
  });

  test('keeps the ContextGcError reason, message and details across the thread', async () => {
    await assert.rejects(client.engine.stash([99]), (err: unknown) => {
      assert.ok(err instanceof ContextGcError);
      assert.equal(err.reason, 'not_found');
      assert.equal(err.message, 'No segment with id 99.');
      assert.deepEqual(err.details, { missing: [99] });
      return true;
    });
    await assert.rejects(client.engine.delete([1]), (err: unknown) => ContextGcError.is(err, 'confirm_required'));
  });

  test('an unknown method is refused by the worker', async () => {
    const raw = client as unknown as { send(method: string, args: unknown[]): Promise<unknown> };
    await assert.rejects(raw.send('dropTables', []), (err: unknown) => err instanceof ContextGcError && err.message === 'Unknown engine worker method "dropTables".');
  });

  test('binds a file: added, then touched, updated when the text changed', async () => {
    const a = await client.call('bindFile', { filePath: 'src/a.ts', text: 'export const a = 1;\n', totalChars: 20, truncated: false, maxBytes: 1000 });
    assert.equal(a.action, 'added');
    assert.equal(a.segment?.type, 'code');
    assert.equal(a.segment?.source, 'editor');
    assert.deepEqual(a.segment?.tags, [FILE_TAG]);
    assert.equal(a.segment?.filePath, 'src/a.ts');
    const id = a.segment?.id;
    const same = await client.call('bindFile', { filePath: 'src/a.ts', text: 'export const a = 1;\n', totalChars: 20, truncated: false, maxBytes: 1000 });
    assert.equal(same.action, 'touched');
    assert.equal(same.segment?.id, id);
    assert.equal(same.tokenDelta, 0);
    const changed = await client.call('bindFile', { filePath: 'src/a.ts', text: 'export const a = 2; // changed\n', totalChars: 31, truncated: false, maxBytes: 1000 });
    assert.equal(changed.action, 'updated');
    assert.equal(changed.segment?.id, id);
    assert.ok(changed.tokenDelta > 0);
  });

  test('skips binary and empty content', async () => {
    const bin = await client.call('bindFile', { filePath: 'img.dat', text: 'PNG\u0000\u0001\u0002', totalChars: 6, truncated: false, maxBytes: 1000 });
    assert.deepEqual([bin.action, bin.skipped], ['skipped', 'binary content']);
    const empty = await client.call('bindFile', { filePath: 'blank.txt', text: '   \n\n', totalChars: 5, truncated: false, maxBytes: 1000 });
    assert.deepEqual([empty.action, empty.skipped], ['skipped', 'empty file']);
    assert.equal((await client.engine.list({ filePath: 'img.dat' })).length, 0);
  });

  test('a truncated file keeps whole lines and ends with a note', async () => {
    const r = await client.call('bindFile', { filePath: 'big.log', text: 'line one\nline two\nline th', totalChars: 5000, truncated: true, maxBytes: 25 });
    assert.equal(r.action, 'added');
    assert.equal(r.segment?.type, 'log');
    const seg = await client.engine.get(r.segment!.id);
    assert.equal(seg.text, `line one\nline two\n\n${truncationNote('big.log', 18, 5000)}`);
  });

  test('stashing a closed file keeps pinned segments; reopening restores the file and offers the rest', async () => {
    const note = await client.engine.add({ text: 'why a is 2', type: 'note', filePath: 'src/a.ts' });
    const pinned = await client.engine.add({ text: 'never drop this', type: 'decision', filePath: 'src/a.ts', pinned: true });
    const before = (await client.engine.totals()).workingTokens;
    const closed = await client.call('stashFile', 'src/a.ts');
    const fileSeg = (await client.engine.list({ filePath: 'src/a.ts' })).find((m) => m.tags.includes(FILE_TAG))!;
    assert.deepEqual(closed.stashed, [fileSeg.id, note.id]);
    assert.deepEqual(closed.keptPinned, [pinned.id]);
    assert.equal(closed.totals.workingTokens, before + closed.tokenDelta);
    const reopened = await client.call('bindFile', { filePath: 'src/a.ts', text: 'export const a = 2; // changed\n', totalChars: 31, truncated: false, maxBytes: 1000 });
    assert.equal(reopened.action, 'restored');
    assert.equal(reopened.segment?.tier, 'working');
    assert.deepEqual(reopened.stashedForFile.map((m) => m.id), [note.id]);
    const again = await client.call('stashFile', 'nothing/here.ts');
    assert.deepEqual([again.stashed, again.keptPinned, again.tokenDelta], [[], [], 0]);
  });

  test('the store is locked against a second writer (another process) while open', () => {
    // Another window is another process; its open fails with store_locked, naming this worker's purpose.
    const script = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'engine', 'store', 'sqlite.ts'))})` +
      `.openSqliteStore(${JSON.stringify(path.join(dir, 'store'))}).then(() => console.log('opened'), (e) => console.log(e.reason + ': ' + e.message));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' }).trim();
    assert.match(out, /^store_locked: The store at .* is in use by rpc test \(pid \d+, since .*\)\. Only one process can write to a store/);
  });

  test('a budget change pushes new totals before its answer', async () => {
    const n = totals.length;
    const settled = await client.engine.configure({ budget: 2000 });
    assert.equal(settled.budget, 2000);
    // The event comes before the answer: a caller never sees a stale budget after configure resolves.
    assert.equal(totals.length, n + 1);
    assert.equal(totals.at(-1)?.budget, 2000);
  });
});

describe('engine worker lifecycle', () => {
  test('close makes the store durable and releases the lock; a new worker reopens it', async () => {
    const dir = tempDir('rpc');
    const storeDir = path.join(dir, 'store');
    const first = new EngineClient(startWorker());
    await first.start(options(storeDir));
    await first.engine.add({ text: words(10), type: 'decision' });
    await first.engine.setCurrentTask('task-a');
    await first.close();
    await assert.rejects(first.engine.totals(), (err: unknown) => err instanceof WorkerError && err.reason === 'worker_exited');

    const second = new EngineClient(startWorker());
    const info = await second.start(options(storeDir));
    assert.equal(info.segments, 1);
    assert.equal(info.currentTask, 'task-a');
    assert.equal(info.totals.workingTokens, 10);
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a worker that dies fails pending and later calls with worker_exited', async () => {
    const worker = startWorker();
    let exited: WorkerError | undefined;
    const client = new EngineClient(worker, { onExit: (e) => (exited = e) });
    await client.start(options(null));
    await worker.terminate();
    await assert.rejects(client.engine.totals(), (err: unknown) => err instanceof WorkerError && err.reason === 'worker_exited');
    assert.match(exited?.message ?? '', /^The Context GC engine stopped unexpectedly \(exit code \d+\)\.$/);
  });
});

describe('engine worker encoding', () => {
  test('a store counted with another encoding is recounted after it opens', async () => {
    const dir = tempDir('rpc');
    const storeDir = path.join(dir, 'store');
    const text = 'Здравствуйте, мир! Ünïcödé façade naïve résumé 日本語のテキスト';
    const first = new EngineClient(startWorker());
    await first.start(options(storeDir));
    const o200k = (await first.engine.add({ text, type: 'note' })).tokens;
    await first.close();

    const second = new EngineClient(startWorker());
    await second.start({ ...options(storeDir), encoding: 'cl100k_base' });
    const [meta] = await second.engine.list({});
    assert.equal(meta.encoding, 'cl100k_base');
    assert.notEqual(meta.tokens, o200k);
    assert.equal((await second.engine.totals()).workingTokens, meta.tokens);
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
