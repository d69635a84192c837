// The table image (src/engine/tableImage.ts) over the real sql.js store on disk: a table loaded from the
// image equals the table a scan builds, column by column, including postings, in-degrees, interners and
// dead/stashed rows; a truncated, corrupt, other-version, unreadable or misplaced image is refused with an
// exact warning and the table comes from the scan. After an unclean stop the image (from the last close or
// idle save) plus the journal records written after it gives the table a scan gives, row by row and
// posting by posting, also for records that did not go through the engine; an image whose journal was
// folded into a snapshot since, or over a store that lost data, is passed over without a warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextEngine, type EngineOptions } from '../../src/engine/engine';
import { ContextGcError } from '../../src/engine/model';
import { crc32 } from '../../src/engine/store/journal';
import { openSqliteStore, openSqliteStoreReadOnly } from '../../src/engine/store/sqlite';
import { MemoryStore } from '../../src/engine/store/memory';
import type { SegmentTable } from '../../src/engine/table';
import { TABLE_IMAGE_VERSION, tableImagePath } from '../../src/engine/tableImage';
import { TestClock, words } from './helpers';
import { tempDir } from './storeHelpers';

const SUFFIX = 'The table was rebuilt from the store instead (slower open, nothing lost); a new image is written when changes stop or at the next clean close.';

async function open(dir: string, opts: Partial<EngineOptions> = {}): Promise<ContextEngine> {
  return openOn(await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false }), opts);
}

/** The engine of these tests over `store` (kept by the caller, e.g. to stop it without a close). */
function openOn(store: EngineOptions['store'], opts: Partial<EngineOptions> = {}): Promise<ContextEngine> {
  return ContextEngine.open({ store, clock: new TestClock(), search: false, settings: { budget: 100_000 }, tokenCounter: { encoding: 'o200k_base', count: (t) => t.length }, ...opts });
}

/**
 * A store with every kind of row: tags, refs, tasks, files, line ranges, pinned, stashed, old generation,
 * deleted rows (also the highest ids, and one that others referred to), rewritten text, retagged rows,
 * and strings interned by rows that are gone (so the live table's codes differ from a fresh scan's).
 */
async function buildStore(dir: string): Promise<{ changeSeq: string; metas: string }> {
  const e = await open(dir);
  await e.add({ text: 'gone first: interns task-gone, file gone.ts and tag gone', type: 'note', taskId: 'task-gone', filePath: 'src/gone.ts', tags: ['gone', 'shared'] });
  await e.setCurrentTask('task-a');
  for (let i = 0; i < 40; i++) {
    await e.add({
      text: `segment ${i}\n${words(5 + (i % 7), 'w' + (i % 3))}`,
      type: (['code', 'log', 'message', 'note', 'decision'] as const)[i % 5],
      taskId: i % 4 === 0 ? 'task-b' : undefined,
      filePath: i % 3 === 0 ? `src/mod${i % 5}/f${i}.ts` : null,
      lineStart: i % 3 === 0 ? i + 1 : undefined,
      lineEnd: i % 3 === 0 ? i + 5 : undefined,
      tags: i % 2 === 0 ? [`t${i % 6}`, 'shared'] : i % 5 === 0 ? ['only'] : [],
      refs: i > 2 && i % 3 === 1 ? [i, i - 1] : [],
      source: i % 2 ? 'agent' : 'editor',
    });
  }
  await e.pin([3, 9]);
  await e.stash([4, 5, 6, 10, 20, 30]);
  await e.updateText(7, 'rewritten text of seven');
  await e.setTags(8, ['late', 'shared']);
  await e.setTags(12, []);
  await e.applyGc({ ids: [11, 13] });
  await e.delete([1, 15, 40, 41], { confirm: true });
  await e.setCurrentTask('task-c', { stashPrevious: false });
  await e.add({ text: 'in task c', type: 'message', tags: ['c'], refs: [2] });
  await e.delete([42], { confirm: true });
  const metas = JSON.stringify(liveMetas(e.table));
  await e.close();
  const store = await openSqliteStore(dir, { purpose: 'test' });
  const changeSeq = store.getKv('changeSeq')!;
  await store.close();
  return { changeSeq, metas };
}

function liveMetas(t: SegmentTable): unknown[] {
  const out: unknown[] = [];
  for (let id = 1; id < t.end; id++) if (t.has(id)) out.push(t.meta(id));
  return out;
}

const lists = (xs: (Int32Array | undefined)[], end: number): (number[] | undefined)[] => Array.from({ length: end }, (_, id) => (xs[id] ? Array.from(xs[id]) : undefined));

/** Every field of two tables, column by column, plus what the postings answer for every key. */
function assertSameTable(a: SegmentTable, b: SegmentTable): void {
  assert.equal(a.end, b.end, 'end');
  assert.equal(a.count, b.count, 'count');
  assert.equal(a.capacity, b.capacity, 'capacity');
  for (const col of ['alive', 'type', 'tier', 'flags', 'source', 'encoding', 'survivals', 'tokens', 'chars', 'task', 'file', 'lineStart', 'lineEnd', 'inDegree', 'hashHi', 'hashLo', 'created', 'touched'] as const) {
    assert.deepStrictEqual(a[col], b[col], `column ${col}`);
  }
  assert.deepStrictEqual(lists(a.tags, a.end), lists(b.tags, b.end), 'tags');
  assert.deepStrictEqual(lists(a.refs, a.end), lists(b.refs, b.end), 'refs');
  assert.equal(a.tags.length, b.tags.length, 'tags length');
  assert.equal(a.refs.length, b.refs.length, 'refs length');
  assert.deepStrictEqual(a.tasks.values, b.tasks.values, 'task strings');
  assert.deepStrictEqual(a.files.values, b.files.values, 'file strings');
  assert.deepStrictEqual(a.tagNames.values, b.tagNames.values, 'tag strings');
  a.tasks.values.forEach((_, code) => {
    assert.deepStrictEqual(a.byTask.candidates(code), b.byTask.candidates(code), `task postings ${code}`);
    assert.equal(a.byTask.sizeOf(code), b.byTask.sizeOf(code));
  });
  a.files.values.forEach((_, code) => {
    assert.deepStrictEqual(a.byFile.candidates(code), b.byFile.candidates(code), `file postings ${code}`);
    assert.equal(a.byFile.sizeOf(code), b.byFile.sizeOf(code));
  });
  a.tagNames.values.forEach((_, code) => {
    assert.deepStrictEqual(a.byTag.candidates(code), b.byTag.candidates(code), `tag postings ${code}`);
    assert.equal(a.byTag.sizeOf(code), b.byTag.sizeOf(code));
  });
  assert.deepStrictEqual(a.idsForFilePrefix('src/'), b.idsForFilePrefix('src/'));
}

/**
 * The same rows and the same answers from every posting (for a table with journal records applied over
 * its image: its dead rows and string codes keep their history, unlike a scan's).
 */
function assertSameRows(a: SegmentTable, b: SegmentTable): void {
  assert.equal(a.count, b.count, 'count');
  assert.deepStrictEqual(liveMetas(a), liveMetas(b), 'rows');
  const live = (t: SegmentTable): number[] => Array.from({ length: t.end }, (_, id) => (t.has(id) ? t.inDegree[id] : -1)).filter((_, id) => t.has(id));
  assert.deepStrictEqual(live(a), live(b), 'in-degrees');
  for (const task of new Set([...a.tasks.values, ...b.tasks.values])) assert.deepStrictEqual(a.idsForTask(task), b.idsForTask(task), `task ${task}`);
  for (const file of new Set([...a.files.values, ...b.files.values])) assert.deepStrictEqual(a.idsForFile(file), b.idsForFile(file), `file ${file}`);
  for (const tag of new Set([...a.tagNames.values, ...b.tagNames.values])) assert.deepStrictEqual(a.idsForTag(tag), b.idsForTag(tag), `tag ${tag}`);
  assert.deepStrictEqual(a.idsForFilePrefix('src/'), b.idsForFilePrefix('src/'));
}

/** The JSON part of an image file. */
function imageJson(file: string): { watermark: number; journal: { seq: number; bytes: number } } {
  const b = fs.readFileSync(file);
  return JSON.parse(b.toString('utf8', 32, 32 + b.readUInt32LE(12))) as { watermark: number; journal: { seq: number; bytes: number } };
}

/** Rewrites the image's JSON with `edit` (the result must keep its length), checksums fixed. */
function editImageJson(file: string, edit: (json: string) => string): void {
  patch(file, (b) => {
    const len = b.readUInt32LE(12);
    const next = edit(b.toString('utf8', 32, 32 + len));
    assert.equal(Buffer.byteLength(next), len, 'same length');
    b.write(next, 32, 'utf8');
  }, true);
}

/** Opens with the image turned off: the reference table, from the scan. */
async function scanned(dir: string): Promise<SegmentTable> {
  const e = await open(dir, { tableImage: false });
  const t = e.table;
  assert.equal(e.tableLoad.source, 'scan');
  await e.close();
  return t;
}

/** Closes `e`, then checks its table against a scan of the store it left (`same`: column by column, or row by row). */
async function closeAndCompare(e: ContextEngine, dir: string, same: (a: SegmentTable, b: SegmentTable) => void = assertSameTable): Promise<void> {
  const t = e.table;
  await e.close();
  same(t, await scanned(dir));
}

test('a table loaded from the image equals the scanned one column by column, and the live one row by row', async () => {
  const dir = tempDir('timg');
  const { metas } = await buildStore(dir);
  assert.ok(fs.existsSync(tableImagePath(dir)), 'the clean close wrote the image');
  const ref = await scanned(dir);

  const e = await open(dir);
  assert.equal(e.tableLoad.source, 'image');
  assert.deepEqual(e.tableLoad.warnings, []);
  assert.equal(e.tableLoad.imageRefused, undefined);
  assert.equal(e.tableLoad.tailRecords, 0);
  assert.ok(fs.existsSync(tableImagePath(dir)), 'a used image stays: its journal position keeps it exact');
  assertSameTable(e.table, ref);
  assert.equal(JSON.stringify(liveMetas(e.table)), metas, 'the rows the engine had before closing');
  // What was deleted stays deleted, stashed stays stashed, references to deleted rows are gone.
  assert.deepEqual([1, 15, 40, 41, 42].map((id) => e.has(id)), [false, false, false, false, false]);
  assert.equal(e.table.end, 40, 'the highest live id is 39 (40-42 were deleted)');
  assert.equal(e.table.count, 37);
  assert.deepEqual(e.list({ tier: 'stashed' }).map((m) => m.id), [4, 5, 6, 10, 11, 13, 20, 30]);
  assert.deepEqual(e.list({ pinned: true }).map((m) => m.id), [3, 9]);
  assert.deepEqual(e.getMeta(18).refs, [16], 'the reference to 15 was dropped when 15 was deleted');
  assert.deepEqual(e.table.tasks.values, ['task-b', 'task-a'], 'interned in first use over live rows (task-gone and task-c only had deleted rows)');
  assert.equal(e.table.tasks.lookup('task-gone'), undefined);
  assert.equal(e.table.idsForTag('shared').length, 18, 'even rows 2-40, less 12 (retagged) and 40 (deleted)');
  // The engine keeps working on the loaded table: ids continue after the deleted tail.
  assert.equal((await e.add({ text: 'after reopen', type: 'note', tags: ['shared'] })).id, 43);
  assert.equal(e.table.idsForTag('shared').at(-1), 43);
  await e.close();

  // Round trip through a second image: still equal to a scan.
  const again = await open(dir);
  assert.equal(again.tableLoad.source, 'image');
  await closeAndCompare(again, dir);
});

test('an empty store writes and loads an empty image', async () => {
  const dir = tempDir('timg-empty');
  await (await open(dir)).close();
  assert.ok(fs.existsSync(tableImagePath(dir)));
  const e = await open(dir);
  assert.equal(e.tableLoad.source, 'image');
  assertSameTable(e.table, (await open(tempDir('timg-empty2'), { tableImage: false })).table);
  assert.equal((await e.add({ text: 'first', type: 'note' })).id, 1);
  await e.close();
});

/** Builds a store, lets `damage` change its image, reopens: the warning the open gave and the table. */
async function reopenDamaged(damage: (file: string, dir: string) => void | Promise<void>): Promise<{ e: ContextEngine; warned: ContextGcError[]; file: string; ref: SegmentTable; changeSeq: string }> {
  const dir = tempDir('timg-bad');
  const { changeSeq } = await buildStore(dir);
  const ref = await scanned(dir);
  const file = tableImagePath(dir);
  await damage(file, dir);
  const warned: ContextGcError[] = [];
  const e = await open(dir, { onWarning: (w) => warned.push(w) });
  return { e, warned, file, ref, changeSeq };
}

/** The refused image: one store_corrupt warning with this reason, the table from the scan, the file gone. */
async function assertRefused(r: Awaited<ReturnType<typeof reopenDamaged>>, why: string): Promise<void> {
  const { e, warned, file, ref } = r;
  assert.equal(e.tableLoad.source, 'scan');
  assert.equal(e.tableLoad.imageRefused, 'refused');
  assert.deepEqual(e.tableLoad.warnings.map((w) => [w.reason, w.message]), [['store_corrupt', `The saved table image ${file} was not used: ${why}. ${SUFFIX}`]]);
  assert.deepEqual(warned, e.tableLoad.warnings, 'onWarning got the same warning');
  assert.equal(fs.existsSync(file), false, 'the refused image was removed');
  assertSameTable(e.table, ref);
  await e.close();
  assert.ok(fs.existsSync(file), 'a clean close writes a new one');
}

function patch(file: string, edit: (buf: Buffer) => void, fixChecksums = false): void {
  const buf = fs.readFileSync(file);
  edit(buf);
  if (fixChecksums) {
    buf.writeUInt32LE(crc32(buf.subarray(32)), 24);
    buf.writeUInt32LE(crc32(buf.subarray(0, 28)), 28);
  }
  fs.writeFileSync(file, buf);
}

test("an image whose change counter differs from the store's, with no journal record after it, is refused", async () => {
  let seq = 0;
  const r = await reopenDamaged((file) => {
    seq = imageJson(file).watermark;
    // One more or one less, keeping the digit count (the JSON keeps its length).
    const other = String(seq + 1).length === String(seq).length ? seq + 1 : seq - 1;
    editImageJson(file, (json) => json.replace(`"watermark":${seq},`, `"watermark":${other},`));
    seq = other;
  });
  await assertRefused(r, `it was saved at change ${seq} but the store is at change ${r.changeSeq} with no journal record after it`);
});

test('an image stamped with a journal position where no record starts is refused', async () => {
  let at = { seq: 0, bytes: 0 };
  const r = await reopenDamaged(async (file, dir) => {
    const store = await openSqliteStore(dir, { purpose: 'test' });
    store.setKv('note', 'a record after the image');
    await store.commit();
    await store.close({ snapshot: false });
    at = imageJson(file).journal;
    editImageJson(file, (json) => json.replace(`"bytes":${at.bytes}}`, `"bytes":${at.bytes + 1}}`));
  });
  await assertRefused(r, `it was saved at journal ${at.seq}:${at.bytes + 1}, but no record of journal ${at.seq} starts at byte ${at.bytes + 1}`);
});

test("an image stamped past the end of the store's journal is refused", async () => {
  let at = { seq: 0, bytes: 0 };
  const r = await reopenDamaged((file) => {
    at = imageJson(file).journal;
    editImageJson(file, (json) => json.replace(`"bytes":${at.bytes}}`, `"bytes":${at.bytes + 1}}`));
  });
  await assertRefused(r, `it was saved at journal ${at.seq}:${at.bytes + 1}, but the store's journal ends before that, at ${at.seq}:${at.bytes}`);
});

test('a truncated image is refused', async () => {
  let size = 0;
  const r = await reopenDamaged((file) => {
    size = fs.statSync(file).size;
    fs.truncateSync(file, size - 100);
  });
  await assertRefused(r, `its header says ${size - 32} bytes of body but the file holds ${size - 132} (cut short or appended to)`);
});

test('an image cut inside its header is refused', async () => {
  const r = await reopenDamaged((file) => fs.truncateSync(file, 20));
  await assertRefused(r, 'it is 20 bytes long, too short to be a table image');
});

test('an image with a flipped byte in its body is refused', async () => {
  const r = await reopenDamaged((file) => patch(file, (b) => (b[b.length - 50] ^= 0x40)));
  await assertRefused(r, 'its contents fail their checksum');
});

test('an image with a damaged header is refused', async () => {
  const r = await reopenDamaged((file) => patch(file, (b) => (b[13] ^= 1)));
  await assertRefused(r, 'its header fails its checksum');
});

test('a file that is not an image is refused', async () => {
  const r = await reopenDamaged((file) => fs.writeFileSync(file, 'SQLite format 3\0' + 'x'.repeat(100)));
  await assertRefused(r, 'it does not start like a table image');
});

test('an image of another format version is refused', async () => {
  const r = await reopenDamaged((file) => patch(file, (b) => b.writeUInt32LE(TABLE_IMAGE_VERSION + 1, 8), true));
  await assertRefused(r, `it has format version ${TABLE_IMAGE_VERSION + 1}, this version reads ${TABLE_IMAGE_VERSION}`);
});

test('an image whose checksums pass but whose codes are out of range is refused', async () => {
  const r = await reopenDamaged((file) =>
    patch(file, (b) => {
      const jsonLen = b.readUInt32LE(12);
      const json = JSON.parse(b.toString('utf8', 32, 32 + jsonLen)) as { sections: Record<string, [number, number]> };
      const start = (32 + jsonLen + 7) & ~7;
      b.writeInt32LE(999, start + json.sections.task![0] + 4 * 2); // row 2's task code
    }, true),
  );
  await assertRefused(r, 'its task codes are out of range');
});

test('an unreadable image (a directory in its place) is refused at open, and the close reports it cannot save', async () => {
  const r = await reopenDamaged((file) => {
    fs.rmSync(file);
    fs.mkdirSync(file);
  });
  const { e, warned, file, ref } = r;
  assert.equal(e.tableLoad.source, 'scan');
  assert.deepEqual(e.tableLoad.warnings.map((w) => w.message), [`The saved table image ${file} was not used: it cannot be read (EISDIR: illegal operation on a directory, read). ${SUFFIX}`]);
  assertSameTable(e.table, ref);
  await e.close();
  assert.equal(warned.length, 2);
  assert.equal(warned[1]!.reason, 'io_error');
  assert.match(warned[1]!.message, new RegExp(`^Could not save the table image in ${path.dirname(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*Nothing is lost; the next open rebuilds the table from the store \\(slower\\)\\.$`));
});

test('after an unclean stop, the image of the last close plus the journal since has every committed change', async () => {
  const dir = tempDir('timg-crash');
  await buildStore(dir);
  const saved = imageJson(tableImagePath(dir));
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  const e = await openOn(store);
  assert.equal(e.tableLoad.source, 'image');
  assert.deepEqual(store.journalEndAtOpen, saved.journal, 'the close stamped the image with the final journal position');
  // Every kind of record: inserts (new task, file and tags), a stash, pins, a retag, a text rewrite, refs
  // to a row deleted later, deletes (of the highest id too), a re-add of the same file.
  await e.setCurrentTask('task-late');
  const a = (await e.add({ text: 'committed, then the process died', type: 'note', tags: ['late'], filePath: 'src/late.ts' })).id;
  const b = (await e.add({ text: 'refers to a', type: 'message', refs: [a, 2], tags: ['shared'] })).id;
  await e.stash([2, 16]);
  await e.pin([b]);
  await e.unpin([3]);
  await e.setTags(8, ['retagged']);
  await e.updateText(7, 'seven again, longer than before');
  await e.delete([a, 14], { confirm: true });
  const c = (await e.add({ text: 'last one', type: 'code', filePath: 'src/late.ts', lineStart: 1, lineEnd: 2 })).id;
  await e.delete([c], { confirm: true });
  const live = e.table;
  // The process dies: no engine close, the store's journal holds the changes.
  await store.close({ snapshot: false });

  const warned: ContextGcError[] = [];
  const again = await open(dir, { onWarning: (w) => warned.push(w) });
  assert.equal(again.tableLoad.source, 'image');
  assert.ok(again.tableLoad.tailRecords > 10, `records applied: ${again.tableLoad.tailRecords}`);
  assert.deepEqual(warned, []);
  assert.deepEqual([again.has(a), again.has(14), again.has(c), again.getMeta(b).pinned, again.getMeta(2).tier, again.getMeta(8).tags], [false, false, false, true, 'stashed', ['retagged']]);
  assert.equal(again.getMeta(7).tokens, 'seven again, longer than before'.length);
  assert.deepEqual(again.getMeta(b).refs, [2], 'the reference to the deleted row is gone');
  assert.deepEqual(again.table.idsForTask('task-late'), [b]);
  assertSameRows(again.table, live);
  await closeAndCompare(again, dir, assertSameRows);
  // The clean close wrote a current image: the next open has nothing to apply and equals a scan column by column.
  const third = await open(dir);
  assert.deepEqual([third.tableLoad.source, third.tableLoad.tailRecords], ['image', 0]);
  await closeAndCompare(third, dir);
});

test('an image whose journal was folded into a snapshot since is passed over without a warning', async () => {
  const dir = tempDir('timg-folded');
  await buildStore(dir);
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  const e = await openOn(store);
  await e.add({ text: 'before the snapshot', type: 'note' });
  await store.snapshot();
  await e.add({ text: 'after the snapshot', type: 'note' });
  await store.close({ snapshot: false });

  const warned: ContextGcError[] = [];
  const again = await open(dir, { onWarning: (w) => warned.push(w) });
  assert.deepEqual([again.tableLoad.source, again.tableLoad.imageRefused, warned], ['scan', 'stale', []]);
  assert.equal(fs.existsSync(tableImagePath(dir)), false, 'removed');
  assert.deepEqual(again.list({}).slice(-2).map((m) => m.title), ['before the snapshot', 'after the snapshot']);
  await again.close();
});

test('an image is not used over a store that lost its snapshot (it holds rows the store no longer has)', async () => {
  const dir = tempDir('timg-lost');
  await buildStore(dir);
  patch(path.join(dir, 'snapshot.db'), (b) => (b[b.length - 100] ^= 0xff));
  // Read-only first: it leaves the damaged snapshot and the journal in place, so only the open's repair tells.
  const reader = await ContextEngine.open({ store: await openSqliteStoreReadOnly(dir), search: false });
  assert.deepEqual([reader.tableLoad.source, reader.tableLoad.imageRefused, reader.table.count], ['scan', 'stale', 0]);
  await reader.close();
  const warned: ContextGcError[] = [];
  const e = await open(dir, { onWarning: (w) => warned.push(w) });
  assert.deepEqual([e.tableLoad.source, e.tableLoad.imageRefused, e.tableLoad.warnings], ['scan', 'stale', []]);
  assert.equal(e.table.count, 0, 'the store has what its journals held: nothing since the last snapshot');
  await e.close();
});

test('a clean close with nothing changed keeps the image file; a change makes the close write a new one', async () => {
  const dir = tempDir('timg-keep');
  await buildStore(dir);
  const file = tableImagePath(dir);
  const ino = fs.statSync(file).ino;
  await (await open(dir)).close();
  assert.equal(fs.statSync(file).ino, ino, 'not rewritten');
  const e = await open(dir);
  await e.pin([2]);
  await e.close();
  assert.notEqual(fs.statSync(file).ino, ino, 'rewritten (temp file renamed over it)');
  const again = await open(dir);
  assert.deepEqual([again.tableLoad.source, again.tableLoad.tailRecords, again.getMeta(2).pinned], ['image', 0, true]);
  await again.close();
});

test('a temp file of an interrupted image save is removed at open', async () => {
  const dir = tempDir('timg-tmp');
  await buildStore(dir);
  const tmp = `${tableImagePath(dir)}.tmp-123-abc`;
  fs.writeFileSync(tmp, 'half an image');
  const e = await open(dir);
  assert.equal(e.tableLoad.source, 'image');
  assert.equal(fs.existsSync(tmp), false);
  await e.close();
});

test('a read-only open uses a current image and leaves it in place; the memory store has none', async () => {
  const dir = tempDir('timg-ro');
  await buildStore(dir);
  const ref = await scanned(dir);
  const before = fs.readFileSync(tableImagePath(dir));
  const store = await openSqliteStoreReadOnly(dir);
  const e = await ContextEngine.open({ store, search: false });
  assert.equal(e.tableLoad.source, 'image');
  assertSameTable(e.table, ref);
  await e.close();
  assert.deepEqual(fs.readFileSync(tableImagePath(dir)), before, 'not consumed, not rewritten');

  const m = await ContextEngine.open({ store: new MemoryStore(), search: false });
  assert.equal(m.tableLoad.source, 'scan');
  assert.equal(m.tableLoad.imageRefused, 'disabled');
  await m.close();
});

/** Opens with a short idle delay, makes `change`, waits for the idle image, returns the engine and its store. */
async function idleImage(dir: string, change: (e: ContextEngine) => Promise<unknown>) {
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  const e = await openOn(store, { searchMaintenance: { idleMs: 30 } });
  const before = fs.readFileSync(tableImagePath(dir));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(fs.readFileSync(tableImagePath(dir)), before, 'a current image is not rewritten when idle');
  await change(e);
  const saved = (): boolean => !fs.readFileSync(tableImagePath(dir)).equals(before);
  for (let i = 0; i < 200 && !saved(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(saved(), 'saved once changes stopped');
  assert.deepEqual(imageJson(tableImagePath(dir)).journal, store.journalPosition(), 'stamped with the journal position');
  return { e, store };
}

test('a crash after the idle image, with no change since, reopens from the image with every change', async () => {
  const dir = tempDir('timg-idle');
  await buildStore(dir);
  const { store } = await idleImage(dir, async (e) => {
    await e.add({ text: 'added, then idle', type: 'note', tags: ['idle'] });
    await e.pin([2]);
  });
  // The process dies: no engine close; the journal holds everything, nothing was written after the image.
  await store.close({ snapshot: false });

  const warned: ContextGcError[] = [];
  const again = await open(dir, { onWarning: (w) => warned.push(w) });
  assert.deepEqual([again.tableLoad.source, again.tableLoad.tailRecords], ['image', 0]);
  assert.deepEqual(warned, []);
  assert.deepEqual([again.getMeta(43).tags, again.getMeta(2).pinned], [['idle'], true]);
  await closeAndCompare(again, dir);
});

test('records written after the idle image are applied over it, even a change that did not go through the engine', async () => {
  const dir = tempDir('timg-idle-late');
  await buildStore(dir);
  const { store } = await idleImage(dir, (e) => e.add({ text: 'added, then idle', type: 'note' }));
  const at = store.journalPosition()!;
  // Part of an operation that died before it moved the change counter (as a recount could): a write
  // that reached the journal without the engine's commit.
  const seq = store.getKv('changeSeq');
  store.update([{ id: 2, tokens: 999 }]);
  await store.commit();
  const now = store.journalPosition()!;
  assert.equal(store.getKv('changeSeq'), seq, 'the counter did not move');
  assert.equal(now.seq, at.seq);
  assert.ok(now.bytes > at.bytes);
  await store.close({ snapshot: false });

  const warned: ContextGcError[] = [];
  const again = await open(dir, { onWarning: (w) => warned.push(w) });
  assert.deepEqual([again.tableLoad.source, again.tableLoad.tailRecords, warned], ['image', 1, []]);
  assert.equal(again.getMeta(2).tokens, 999, 'the table has what the store has');
  await closeAndCompare(again, dir, assertSameRows);
});

test('a read-only open applies the records after the image and leaves the file as it was', async () => {
  const dir = tempDir('timg-ro-tail');
  await buildStore(dir);
  const before = fs.readFileSync(tableImagePath(dir));
  const store = await openSqliteStore(dir, { purpose: 'test', backgroundSnapshots: false });
  const e = await openOn(store);
  await e.add({ text: 'while another reader looks', type: 'note', tags: ['ro'] });
  await e.stash([2]);
  const reader = await ContextEngine.open({ store: await openSqliteStoreReadOnly(dir), search: false });
  assert.deepEqual([reader.tableLoad.source, reader.tableLoad.tailRecords > 0], ['image', true]);
  assertSameRows(reader.table, e.table);
  await reader.close();
  assert.deepEqual(fs.readFileSync(tableImagePath(dir)), before);
  await store.close({ snapshot: false });
});
