import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextGcError } from '../../src/engine/model';
import { MemoryStore } from '../../src/engine/store/memory';
import { openSqliteStore, openSqliteStoreReadOnly, type SqliteStore } from '../../src/engine/store/sqlite';
import { encodeRecord, HEADER_BYTES, journalName, JournalWriter, listJournals } from '../../src/engine/store/journal';
import { ProjectRegistry } from '../../src/engine/store/registry';
import { SCHEMA_VERSION } from '../../src/engine/store/schema';
import { procStat } from '../../src/engine/store/lock';
import { exportImage, writeSnapshot } from '../../src/engine/store/snapshot';
import { loadSqlJs } from '../../src/engine/store/sqljs';
import type { SegmentStore } from '../../src/engine/store/types';
import { dump, fileState, fullSegment, tempDir } from './storeHelpers';

const KV = ['nextId', 'currentTask', 'empty'];
const FIXED_NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

/** The same sequence of calls on any store, including the calls that fail part-way. */
function script(store: SegmentStore): string[] {
  const errors: string[] = [];
  const attempt = (f: () => void): void => {
    try {
      f();
    } catch (err) {
      assert.ok(err instanceof ContextGcError);
      errors.push(`${err.reason}: ${err.message}`);
    }
  };
  store.insert([1, 2, 3, 4, 5].map((id) => fullSegment(id)));
  store.insert([fullSegment(6, { taskId: null, filePath: null, lineStart: null, lineEnd: null, tags: [], refs: [], text: '\n\n  only line  \n' })]);
  attempt(() => store.insert([fullSegment(7), fullSegment(3), fullSegment(8)]));
  store.update([
    { id: 1, tier: 'stashed', pinned: true, touchedAt: 1_800_000_000_000 },
    { id: 2, tags: ['z', 'a', 'z2'], refs: [5, 1, 3] },
    { id: 4, text: 'replaced text\nsecond', title: 'replaced text', chars: 20, textHash: 'ffff', tokens: 3 },
    { id: 5, taskId: null, filePath: 'other.ts', lineStart: null, generation: 'old', survivals: 9, encoding: 'o200k_base', type: 'log', source: 'import' },
  ]);
  attempt(() => store.update([{ id: 6, pinned: true }, { id: 99, tier: 'stashed' }, { id: 2, tier: 'stashed' }]));
  store.delete([3, 42]);
  store.setKv('nextId', '9');
  store.setKv('currentTask', 'task-1');
  store.setKv('currentTask', 'task-2');
  store.setKv('empty', '');
  return errors;
}

async function openIn(dir: string, opts: Parameters<typeof openSqliteStore>[1] = {}): Promise<SqliteStore> {
  return openSqliteStore(dir, { purpose: 'test', now: () => FIXED_NOW, ...opts });
}

test('round-trips every field exactly like MemoryStore, failures included', async () => {
  const dir = tempDir('roundtrip');
  const mem = new MemoryStore();
  const store = await openIn(dir);
  const memErrors = script(mem);
  const errors = script(store);
  assert.deepEqual(errors, memErrors);
  assert.deepEqual(errors, ['invalid_argument: Segment 3 already exists.', 'not_found: Segment 99 does not exist.']);
  await store.commit();
  const expected = dump(mem, KV);
  assert.equal(expected.segments.length, 6);
  assert.deepEqual(expected.segments.map((s) => s.id), [1, 2, 4, 5, 6, 7]);
  assert.deepEqual(dump(store, KV), expected);
  assert.equal(store.getText(4), 'replaced text\nsecond');
  assert.equal(store.getText(3), undefined);
  assert.equal(store.getKv('missing'), undefined);
  assert.deepEqual([...store.getTexts([7, 3, 1])].map(([id]) => id).sort(), [1, 7]);
  assert.deepEqual([...store.getTitles([6])], [[6, 'only line']]);
  assert.deepEqual(store.verify(), []);
  await store.close();
  assert.throws(() => store.getText(1), (e: unknown) => ContextGcError.is(e, 'store_closed'));
  assert.throws(() => store.insert([fullSegment(50)]), (e: unknown) => ContextGcError.is(e, 'store_closed'));
});

test('restart round-trip: from the journal alone, and from the snapshot written on close', async () => {
  const dir = tempDir('restart');
  const mem = new MemoryStore();
  script(mem);
  const expected = dump(mem, KV);

  let store = await openIn(dir, { snapshotOnClose: false });
  script(store);
  await store.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['journal.000001']);

  store = await openIn(dir);
  assert.equal(store.openReport.snapshotLoaded, false);
  assert.equal(store.openReport.replayedRecords, 10);
  assert.deepEqual(store.openReport.warnings, []);
  assert.deepEqual(dump(store, KV), expected);
  await store.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['journal.000002', 'snapshot.db']);

  store = await openIn(dir);
  assert.equal(store.openReport.snapshotLoaded, true);
  assert.equal(store.openReport.replayedRecords, 0);
  assert.equal(store.openReport.segments, 6);
  assert.deepEqual(dump(store, KV), expected);
  store.update([{ id: 7, tier: 'stashed' }]);
  mem.update([{ id: 7, tier: 'stashed' }]);
  await store.close();

  store = await openIn(dir);
  assert.deepEqual(dump(store, KV), dump(mem, KV));
  await store.close();
});

test('many ids: getTexts and getTitles batch past one IN chunk', async () => {
  const dir = tempDir('many');
  const store = await openIn(dir);
  const segs = Array.from({ length: 1234 }, (_, i) => fullSegment(i + 1, { text: `t${i + 1}\nx` }));
  store.insert(segs);
  const ids = [...segs.map((s) => s.id), 5000, 5001];
  const texts = store.getTexts(ids);
  assert.equal(texts.size, 1234);
  assert.equal(texts.get(1234), 't1234\nx');
  const titles = store.getTitles(ids.reverse());
  assert.equal(titles.size, 1234);
  assert.equal(titles.get(777), 't777');
  assert.equal(store.getTexts([]).size, 0);
  await store.close();
});

test('group commit: many changes and concurrent commit() calls share one fsync', async () => {
  const dir = tempDir('group');
  const store = await openIn(dir);
  for (let i = 1; i <= 200; i++) store.insert([fullSegment(i)]);
  const before = store.stats().syncs;
  await Promise.all(Array.from({ length: 20 }, () => store.commit()));
  assert.equal(store.stats().syncs - before, 1);
  await store.commit();
  assert.equal(store.stats().syncs - before, 1);
  store.setKv('a', '1');
  const p1 = store.commit();
  store.setKv('b', '2');
  const p2 = store.commit();
  await Promise.all([p1, p2]);
  assert.ok(store.stats().syncs - before <= 3);
  assert.equal(store.stats().queuedBytes, 0);
  await store.close();
});

test('migrates the v1 fixture (inline text/tags/refs) to the current schema and replays its journal', async () => {
  const dir = tempDir('migrate');
  const fixture = path.join(__dirname, '..', 'fixtures', 'store-v1');
  for (const f of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
  const fixtureState = fileState(fixture);

  const ro = await openSqliteStoreReadOnly(dir);
  assert.equal(ro.openReport.schemaFrom, 1);
  assert.equal(ro.openReport.segments, 3);
  await ro.close();

  const store = await openIn(dir);
  assert.equal(store.openReport.schemaFrom, 1);
  assert.equal(store.openReport.schemaVersion, SCHEMA_VERSION);
  assert.equal(store.openReport.replayedRecords, 2);
  assert.deepEqual(store.openReport.warnings, []);
  const d = dump(store, ['nextId', 'currentTask']);
  assert.deepEqual(d.kv, [['nextId', '5'], ['currentTask', 'task-a']]);
  assert.deepEqual(d.segments.map((s) => [s.id, s.tier, s.tags, s.refs, s.pinned, s.filePath, s.lineStart, s.lineEnd]), [
    [1, 'working', ['chat', 'q1'], [], false, null, null, null],
    [2, 'stashed', ['test'], [1], true, 'src/app/flaky.test.ts', 10, 24],
    [3, 'stashed', ['decision'], [1, 2], false, null, null, null],
  ]);
  assert.equal(d.segments[1]!.text, "it('retries', async () => {\n  await retry(3);\n});");
  assert.equal(d.segments[1]!.encoding, 'cl100k_base');
  assert.equal(d.segments[1]!.generation, 'old');
  assert.deepEqual(store.verify(), []);
  // The migrated database was snapshotted at once; the old journal is folded in.
  assert.deepEqual(fs.readdirSync(dir).sort(), ['journal.000002', 'snapshot.db', 'store.lock']);
  await store.close();
  const again = await openIn(dir);
  assert.equal(again.openReport.schemaFrom, SCHEMA_VERSION);
  assert.deepEqual(dump(again, ['nextId', 'currentTask']), d);
  await again.close();
  assert.deepEqual(fileState(fixture), fixtureState);
});

test('a snapshot from a newer schema is refused with schema_too_new', async () => {
  const dir = tempDir('toonew');
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.exec('CREATE TABLE x (a); PRAGMA user_version = 99;');
  writeSnapshot(dir, db.export(), 1);
  db.close();
  await assert.rejects(openIn(dir), (e: unknown) => ContextGcError.is(e, 'schema_too_new') &&
    e.message === `The store at ${dir} has schema version 99, newer than this version of Context GC understands (${SCHEMA_VERSION}). Update the extension or CLI to open it.`);
  assert.equal(fs.existsSync(path.join(dir, 'store.lock')), false);
});

/** A store whose journal holds `n` single-insert records (no snapshot). Returns the journal path and record offsets. */
async function journalOnly(dir: string, n: number): Promise<{ file: string; ends: number[] }> {
  const store = await openIn(dir, { snapshotOnClose: false });
  const ends: number[] = [];
  const file = path.join(dir, journalName(1));
  for (let i = 1; i <= n; i++) {
    store.insert([fullSegment(i)]);
    await store.commit();
    ends.push(fs.statSync(file).size);
  }
  await store.close();
  return { file, ends };
}

test('torn journal: a record cut short is dropped with a warning and the journal truncated', async () => {
  const dir = tempDir('torn');
  const { file, ends } = await journalOnly(dir, 5);
  fs.truncateSync(file, ends[3]! + 30);
  const store = await openIn(dir);
  assert.equal(store.openReport.replayedRecords, 4);
  assert.equal(store.openReport.droppedBytes, 30);
  assert.deepEqual(store.openReport.warnings.map((w) => [w.reason, w.message]), [[
    'io_error',
    `Journal ${file} ended with an incomplete record at byte ${ends[3]} (record of ${ends[4]! - ends[3]! - 8} bytes cut short at 22), ` +
      'left by a crash during a write that was never acknowledged; it was dropped and the journal truncated.',
  ]]);
  assert.equal(fs.statSync(file).size, ends[3]);
  const ids: number[] = [];
  store.scanMeta((m) => ids.push(m.id));
  assert.deepEqual(ids, [1, 2, 3, 4]);
  // Appends after the cut replay cleanly.
  store.insert([fullSegment(10)]);
  await store.commit();
  await store.close();
  const again = await openIn(dir);
  assert.deepEqual(again.openReport.warnings, []);
  assert.equal(again.openReport.segments, 5);
  await again.close();
});

test('torn journal: a flipped byte in the last record fails its checksum and is dropped', async () => {
  const dir = tempDir('flip');
  const { file, ends } = await journalOnly(dir, 3);
  const buf = fs.readFileSync(file);
  buf[ends[2]! - 5] ^= 0x40;
  fs.writeFileSync(file, buf);
  const store = await openIn(dir, { snapshotOnClose: false });
  assert.equal(store.openReport.replayedRecords, 2);
  assert.deepEqual(store.openReport.warnings.map((w) => w.message), [
    `Journal ${file} ended with an incomplete record at byte ${ends[1]} (checksum mismatch), ` +
      'left by a crash during a write that was never acknowledged; it was dropped and the journal truncated.',
  ]);
  assert.equal(fs.statSync(file).size, ends[1]);
  await store.close();
});

test('damaged journal: a bad record with good ones after it is reported as corrupt and a copy kept', async () => {
  const dir = tempDir('midflip');
  const { file, ends } = await journalOnly(dir, 4);
  const buf = fs.readFileSync(file);
  buf[ends[0]! + 20] ^= 0x01;
  fs.writeFileSync(file, buf);
  const store = await openIn(dir);
  const aside = `${file}.corrupt-2026-01-02T03-04-05-006Z`;
  assert.deepEqual(store.openReport.warnings.map((w) => [w.reason, w.message]), [[
    'store_corrupt',
    `Journal ${file} is damaged at byte ${ends[0]} (checksum mismatch); the ${ends[3]! - ends[0]!} bytes from there on were dropped ` +
      `(a copy of the whole file is at ${aside}).`,
  ]]);
  assert.equal(store.openReport.segments, 1);
  assert.deepEqual(fs.readFileSync(aside), buf);
  await store.close();
});

test('corrupt snapshot: moved aside, journals replayed, clear warning', async () => {
  const dir = tempDir('corrupt');
  let store = await openIn(dir);
  store.insert([1, 2, 3].map((id) => fullSegment(id)));
  await store.close(); // snapshot holds 1..3
  store = await openIn(dir, { snapshotOnClose: false });
  store.insert([fullSegment(4)]);
  store.update([{ id: 1, tier: 'stashed' }, { id: 4, pinned: false }]);
  store.setKv('nextId', '5');
  await store.close(); // journal.000002 holds the rest
  const snap = path.join(dir, 'snapshot.db');
  const bytes = fs.readFileSync(snap);
  bytes[200] ^= 0xff;
  fs.writeFileSync(snap, bytes);

  store = await openIn(dir);
  const aside = `${snap}.corrupt-2026-01-02T03-04-05-006Z`;
  assert.deepEqual(store.openReport.warnings.map((w) => [w.reason, w.message]), [
    ['store_corrupt', `The snapshot ${snap} is damaged (its contents fail their checksum). It was moved to ${aside} and the store was ` +
      'rebuilt from its journals; changes older than the journals are missing. Restore a backup of the snapshot to get them back.'],
    ['store_corrupt', `1 journaled changes of the store at ${dir} refer to segments that are not in it (they were in a lost snapshot) and were skipped.`],
  ]);
  assert.deepEqual(fs.readFileSync(aside), bytes);
  assert.equal(store.openReport.snapshotLoaded, false);
  const d = dump(store, ['nextId']);
  assert.deepEqual(d.segments.map((s) => [s.id, s.pinned]), [[4, false]]);
  assert.deepEqual(d.kv, [['nextId', '5']]);
  await store.close();
  // The rebuilt state was snapshotted; the damaged file is still there.
  const again = await openIn(dir);
  assert.deepEqual(again.openReport.warnings, []);
  assert.deepEqual(dump(again, ['nextId']), d);
  await again.close();
  assert.ok(fs.existsSync(aside));
});

test('a snapshot cut short is damaged too (trailer missing)', async () => {
  const dir = tempDir('cut');
  const store = await openIn(dir);
  store.insert([fullSegment(1)]);
  await store.close();
  const snap = path.join(dir, 'snapshot.db');
  fs.truncateSync(snap, 4096);
  const ro = await openSqliteStoreReadOnly(dir);
  assert.deepEqual(ro.openReport.warnings.map((w) => w.message), [
    `The snapshot ${snap} is damaged (its trailer is missing (the file was cut short or overwritten)). ` +
      'Showing what its journals hold; open the store for writing to move the damaged file aside.',
  ]);
  await ro.close();
  assert.equal(fs.statSync(snap).size, 4096);
});

test('lock: a second writer fails fast with the owner named; wait mode gets it after release', async () => {
  const dir = tempDir('lock');
  const first = await openSqliteStore(dir, { purpose: 'VS Code window', now: () => FIXED_NOW });
  const message = `The store at ${dir} is in use by VS Code window (pid ${process.pid}, since 2026-01-02T03:04:05.006Z). ` +
    'Only one process can write to a store: close that window or process, or open the store read-only to search it.';
  await assert.rejects(openSqliteStore(dir, { purpose: 'cli' }), (e: unknown) => ContextGcError.is(e, 'store_locked') && e.message === message);
  const t0 = Date.now();
  await assert.rejects(openSqliteStore(dir, { purpose: 'cli', lockWaitMs: 200 }), (e: unknown) => ContextGcError.is(e, 'store_locked') && e.message === message);
  assert.ok(Date.now() - t0 >= 190);
  first.insert([fullSegment(1)]);
  const waiting = openSqliteStore(dir, { purpose: 'cli', lockWaitMs: 10_000 });
  setTimeout(() => void first.close(), 150);
  const second = await waiting;
  assert.equal(second.openReport.segments, 1);
  assert.ok(second.openReport.lockMs >= 100);
  const owner = JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')) as { purpose: string; pid: number; hostname: string };
  assert.deepEqual([owner.purpose, owner.pid, owner.hostname], ['cli', process.pid, os.hostname()]);
  await second.close();
  assert.equal(fs.existsSync(path.join(dir, 'store.lock')), false);
});

test('lock: a stale lock left by a dead process is recovered', async () => {
  const dir = tempDir('stale');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  fs.writeFileSync(path.join(dir, 'store.lock'), JSON.stringify({ pid: deadPid, hostname: os.hostname(), purpose: 'mcp', startedAt: 0, token: 'old' }));
  const store = await openIn(dir);
  const owner = JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')) as { pid: number; token: string };
  assert.equal(owner.pid, process.pid);
  assert.notEqual(owner.token, 'old');
  await store.close();
  // A half-written lock file (crash between create and write) is stale once it is old.
  fs.writeFileSync(path.join(dir, 'store.lock'), '');
  const old = (Date.now() - 60_000) / 1000;
  fs.utimesSync(path.join(dir, 'store.lock'), old, old);
  const again = await openIn(dir);
  await again.close();
});

test('lock: a live pid that started at another time than the holder (the pid was recycled) is stale; the same start is live', { skip: procStat(process.pid) === undefined && 'no /proc here' }, async () => {
  const dir = tempDir('recycled');
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const stat = procStat(other.pid!)!;
    const lock = (startTicks: number): void =>
      fs.writeFileSync(path.join(dir, 'store.lock'), JSON.stringify({ pid: other.pid, hostname: os.hostname(), purpose: 'VS Code window', startedAt: 0, token: 'old', startTicks }));
    lock(stat.startTicks);
    await assert.rejects(openIn(dir), (e: unknown) => ContextGcError.is(e, 'store_locked') && e.message.startsWith(`The store at ${dir} is in use by VS Code window (pid ${other.pid}, since `));
    lock(stat.startTicks - 1);
    const store = await openIn(dir);
    const owner = JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')) as { pid: number; startTicks: number };
    assert.deepEqual(owner, { ...owner, pid: process.pid, startTicks: procStat(process.pid)!.startTicks }, 'ours now, with our start');
    await store.close();
  } finally {
    other.kill('SIGKILL');
  }
});

test('lock: another thread of this process holding the store is a live owner; an earlier process with our pid is not', async () => {
  const dir = tempDir('threads');
  // A real worker thread takes the lock through the same module.
  const lockModule = path.resolve(__dirname, '../../src/engine/store/lock.ts');
  const worker = new Worker(`
    require('tsx/cjs');
    const { parentPort, workerData } = require('node:worker_threads');
    const { StoreLock } = require(workerData.lockModule);
    StoreLock.acquire(workerData.dir, { purpose: 'a worker thread' }).then((lock) => {
      parentPort.postMessage('held');
      parentPort.once('message', () => { lock.release(); parentPort.postMessage('released'); });
    });`, { eval: true, workerData: { dir, lockModule } });
  const next = () => new Promise<unknown>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  try {
    assert.equal(await next(), 'held');
    await assert.rejects(openSqliteStore(dir, { purpose: 'cli' }), (e: unknown) => ContextGcError.is(e, 'store_locked') && /in use by a worker thread \(pid \d+, since /.test(e.message));
    const lock = JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')) as { purpose: string; pid: number };
    assert.deepEqual([lock.purpose, lock.pid], ['a worker thread', process.pid]);
    worker.postMessage('release');
    assert.equal(await next(), 'released');
  } finally {
    await worker.terminate();
  }
  const store = await openIn(dir);
  await store.close();
  // Our pid, but a process that started an hour before this one: the pid was recycled, the lock is stale.
  const start = Date.now() - process.uptime() * 1000;
  fs.writeFileSync(path.join(dir, 'store.lock'), JSON.stringify({ pid: process.pid, hostname: os.hostname(), purpose: 'mcp', startedAt: 0, token: 'old', processStart: start - 3600_000 }));
  const again = await openIn(dir);
  assert.notEqual((JSON.parse(fs.readFileSync(path.join(dir, 'store.lock'), 'utf8')) as { token: string }).token, 'old');
  await again.close();
});

test('read-only open never writes: not the lock, not a torn tail, not a migration', async () => {
  const dir = tempDir('ro');
  const { file, ends } = await journalOnly(dir, 3);
  fs.truncateSync(file, ends[2]! - 4);
  const writer = await openIn(dir, { snapshotOnClose: false });
  // Beside a live writer: no lock needed.
  const before = fileState(dir);
  const ro = await openSqliteStoreReadOnly(dir);
  assert.equal(ro.readOnly, true);
  assert.deepEqual(ro.openReport.warnings, []);
  assert.equal(ro.openReport.segments, 2);
  const msg = `The store at ${dir} is open read-only: it cannot be changed. Open it with openSqliteStore to write (one writer at a time).`;
  for (const f of [() => ro.insert([fullSegment(9)]), () => ro.update([{ id: 1, tier: 'stashed' }]), () => ro.delete([1]), () => ro.setKv('a', 'b')]) {
    assert.throws(f, (e: unknown) => ContextGcError.is(e, 'invalid_argument') && e.message === msg);
  }
  await assert.rejects(ro.snapshot(), (e: unknown) => ContextGcError.is(e, 'invalid_argument'));
  await ro.commit();
  assert.equal(ro.stats().segments, 2);
  await ro.close();
  assert.deepEqual(fileState(dir), before);
  await writer.close();

  // A torn tail and an old schema, seen read-only: reported, left on disk as they are.
  const dir2 = tempDir('ro2');
  const fixture = path.join(__dirname, '..', 'fixtures', 'store-v1');
  for (const f of fs.readdirSync(fixture)) fs.copyFileSync(path.join(fixture, f), path.join(dir2, f));
  const j = path.join(dir2, journalName(1));
  fs.appendFileSync(j, Buffer.from([9, 0, 0, 0, 1, 2]));
  const before2 = fileState(dir2);
  const ro2 = await openSqliteStoreReadOnly(dir2);
  assert.deepEqual(ro2.openReport.warnings.map((w) => w.message), [
    `Journal ${j} ends with an incomplete record at byte 143 (record header cut short (6 bytes)); its last 6 bytes were ignored.`,
  ]);
  assert.equal(ro2.openReport.schemaFrom, 1);
  assert.equal(ro2.getKv('nextId'), '5');
  await ro2.close();
  assert.deepEqual(fileState(dir2), before2);
  await assert.rejects(openSqliteStoreReadOnly(path.join(dir2, 'nope')), (e: unknown) => ContextGcError.is(e, 'not_found'));
});

test('background snapshot: journals rotate past the threshold, a worker compacts, the owner keeps writing', async () => {
  const dir = tempDir('bg');
  const mem = new MemoryStore();
  const store = await openIn(dir, { snapshotThresholdBytes: 16 * 1024 });
  for (let i = 1; i <= 300; i++) {
    const s = fullSegment(i, { text: `segment ${i}\n${'lorem ipsum '.repeat(20)}` });
    store.insert([s]);
    mem.insert([s]);
    if (i % 3 === 0) {
      store.update([{ id: i - 1, tier: 'stashed' }]);
      mem.update([{ id: i - 1, tier: 'stashed' }]);
    }
    await store.commit();
  }
  await store.snapshot();
  const st = store.stats();
  assert.ok(st.snapshots >= 2, `snapshots: ${st.snapshots}`);
  assert.equal(st.lastSnapshot?.mode, 'background');
  assert.equal(st.lastSnapshotError, undefined);
  assert.equal(st.snapshotRunning, false);
  assert.equal(st.journalFiles, 1);
  assert.equal(st.journalBytes, HEADER_BYTES);
  assert.equal(st.segments, 300);
  assert.deepEqual(listJournals(dir).length, 1);
  // The snapshot file alone (read-only, journals empty) holds everything.
  const ro = await openSqliteStoreReadOnly(dir);
  assert.equal(ro.openReport.replayedRecords, 0);
  assert.deepEqual(dump(ro, KV), dump(mem, KV));
  await ro.close();
  await store.close();
});

test('owner-thread snapshots (backgroundSnapshots: false) give the same result', async () => {
  const dir = tempDir('fg');
  const store = await openIn(dir, { snapshotThresholdBytes: 8 * 1024, backgroundSnapshots: false });
  for (let i = 1; i <= 100; i++) {
    store.insert([fullSegment(i)]);
    await store.commit();
  }
  await store.snapshot();
  assert.equal(store.stats().lastSnapshot?.mode, 'owner');
  assert.ok(store.stats().snapshots >= 2);
  await store.close();
  const again = await openIn(dir);
  assert.equal(again.openReport.segments, 100);
  assert.equal(again.openReport.replayedRecords, 0);
  await again.close();
});

test('a snapshot is also due once the journals hold snapshotThresholdRecords records, whatever their size', async () => {
  const dir = tempDir('records');
  const store = await openIn(dir, { snapshotThresholdRecords: 40, backgroundSnapshots: false });
  for (let i = 1; i <= 39; i++) {
    store.setKv('k', String(i));
    await store.commit();
  }
  assert.equal(store.stats().snapshots, 0);
  store.setKv('k', '40');
  await store.commit();
  while (store.stats().snapshotRunning) await new Promise((r) => setTimeout(r, 5));
  assert.equal(store.stats().snapshots, 1, 'the 40th record');
  for (let i = 41; i <= 79; i++) {
    store.setKv('k', String(i));
    await store.commit();
  }
  assert.equal(store.stats().snapshots, 1, 'counted again from the snapshot');
  await store.close({ snapshot: false });
  // Counted across an open: the 39 records in the journal, then one more.
  const again = await openIn(dir, { snapshotThresholdRecords: 40, backgroundSnapshots: false });
  assert.equal(again.openReport.replayedRecords, 39);
  again.setKv('k', '80');
  await again.commit();
  while (again.stats().snapshotRunning) await new Promise((r) => setTimeout(r, 5));
  assert.equal(again.stats().snapshots, 1);
  assert.equal(again.stats().journalBytes, HEADER_BYTES);
  await again.close();
});

test('a clean close of a large store writes a snapshot only when the journals hold enough to make one worth it', async () => {
  const dir = tempDir('close-due');
  // smallBytes 0: this small store is treated like a large one.
  const when = { smallBytes: 0, records: 30, fraction: 0.5 };
  const store = await openIn(dir, { closeSnapshot: when });
  for (let i = 1; i <= 10; i++) store.insert([fullSegment(i)]);
  await store.close();
  assert.equal(fs.existsSync(path.join(dir, 'snapshot.db')), false, '10 records: no snapshot, the journal is kept');
  const second = await openIn(dir, { closeSnapshot: when });
  assert.deepEqual([second.openReport.replayedRecords, second.openReport.segments], [10, 10]);
  for (let i = 11; i <= 30; i++) second.insert([fullSegment(i)]);
  await second.close();
  const third = await openIn(dir, { closeSnapshot: when });
  assert.deepEqual([third.openReport.snapshotLoaded, third.openReport.replayedRecords, third.openReport.segments], [true, 0, 30], '30 records: folded at close');
  third.insert([fullSegment(31, { text: 'x'.repeat(400_000) })]);
  await third.close();
  const fourth = await openIn(dir, { closeSnapshot: when });
  assert.deepEqual([fourth.openReport.replayedRecords, fourth.openReport.segments], [0, 31], 'one record of over half the database size: folded');
  await fourth.close();
  // With the defaults a store this small always gets its snapshot.
  const fifth = await openIn(dir);
  fifth.insert([fullSegment(32)]);
  await fifth.close();
  const sixth = await openIn(dir);
  assert.equal(sixth.openReport.replayedRecords, 0);
  await sixth.close();
});

test('the room to grow given to sql.js at load never reaches a snapshot, by owner or worker', async () => {
  const dir = tempDir('slack');
  const size = (): number => fs.statSync(path.join(dir, 'snapshot.db')).size;
  let store = await openIn(dir);
  for (let i = 1; i <= 50; i++) store.insert([fullSegment(i, { text: `segment ${i} ${'words '.repeat(100)}` })]);
  await store.close();
  for (const background of [false, true]) {
    const before = size();
    store = await openIn(dir, { backgroundSnapshots: background });
    assert.equal(store.stats().databaseBytes, before - 32, 'the page count SQLite reports is the image, not the room after it');
    store.insert([fullSegment(100 + Number(background), { text: 'x'.repeat(20_000) })]);
    await store.snapshot();
    assert.deepEqual(store.verify(), []);
    const bytes = store.stats().databaseBytes;
    await store.close();
    assert.equal(size(), bytes + 32, `${background ? 'worker' : 'owner'} snapshot: pages + trailer, no slack`);
    assert.ok(bytes > before && bytes < before + 64 * 1024, `grew by the new row only: ${before} -> ${bytes}`);
  }
  const again = await openIn(dir);
  assert.deepEqual(again.verify(), []);
  assert.deepEqual([again.openReport.segments, again.getText(101)], [52, 'x'.repeat(20_000)]);
  await again.close();
});

test('exportImage cuts an export back to the page count in the SQLite header', () => {
  const page = Buffer.alloc(4096 * 3);
  page.write('SQLite format 3\0', 0, 'latin1');
  page.writeUInt16BE(4096, 16);
  page.writeUInt32BE(7, 24); // change counter
  page.writeUInt32BE(2, 28); // pages
  page.writeUInt32BE(7, 92); // valid-for
  assert.equal(exportImage({ export: () => page }).length, 8192);
  page.writeUInt32BE(6, 92); // the header count is stale: keep everything
  assert.equal(exportImage({ export: () => page }).length, 12288);
});

test('project registry: register, update, list by last opened, unregister; written atomically', () => {
  const dir = tempDir('registry');
  const file = path.join(dir, 'nested', 'projects.json');
  const reg = new ProjectRegistry(file);
  assert.deepEqual(reg.list(), []);
  reg.register({ name: 'api', storeDir: '/stores/api', workspacePath: '/code/api', lastOpened: 100 });
  reg.register({ name: 'web', storeDir: '/stores/web', workspacePath: '/code/web', lastOpened: 300 });
  reg.register({ name: 'api2', storeDir: '/stores/api/', workspacePath: '/code/api', lastOpened: 500 });
  assert.deepEqual(reg.list(), [
    { name: 'api2', storeDir: '/stores/api', workspacePath: '/code/api', lastOpened: 500 },
    { name: 'web', storeDir: '/stores/web', workspacePath: '/code/web', lastOpened: 300 },
  ]);
  assert.equal(reg.unregister('/stores/web'), true);
  assert.equal(reg.unregister('/stores/none'), false);
  assert.deepEqual(new ProjectRegistry(file).list().map((p) => p.name), ['api2']);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['projects.json']);
  fs.writeFileSync(file, '{oops');
  assert.throws(() => reg.list(), (e: unknown) => ContextGcError.is(e, 'store_corrupt') &&
    e.message === `The project registry ${file} is not valid JSON. Fix or delete it; projects are added back as they are opened.`);
});

test('every enumeration value of the model has a stored code, and codes decode back', async () => {
  const { CODES } = await import('../../src/engine/store/schema');
  const model = await import('../../src/engine/model');
  assert.deepEqual([...CODES.type].sort(), [...model.SEGMENT_TYPES].sort());
  assert.deepEqual([...CODES.tier].sort(), [...model.TIERS].sort());
  assert.deepEqual([...CODES.source].sort(), [...model.SOURCES].sort());
  assert.deepEqual([...CODES.generation].sort(), [...model.GENERATIONS].sort());
  assert.deepEqual([...CODES.encoding].sort(), [...model.ENCODINGS].sort());
  const dir = tempDir('codes');
  const store = await openIn(dir);
  const segs = model.SEGMENT_TYPES.map((type, i) => fullSegment(i + 1, {
    type, tier: model.TIERS[i % 2]!, source: model.SOURCES[i % 5]!, generation: model.GENERATIONS[i % 2]!, encoding: model.ENCODINGS[i % 2]!,
  }));
  store.insert(segs);
  await store.close();
  const again = await openIn(dir);
  assert.deepEqual(dump(again).segments, segs);
  assert.throws(() => again.insert([fullSegment(99, { type: 'bogus' as never })]), (e: unknown) => ContextGcError.is(e, 'invalid_argument') &&
    e.message === 'Cannot store type "bogus": not one of message, code, log, note, decision, summary.');
  assert.equal(again.getText(99), undefined);
  await again.close();
});

test('missing journal files are reported, read-only and writable', async () => {
  const dir = tempDir('gap');
  const store = await openIn(dir);
  store.insert([fullSegment(1)]);
  await store.close(); // snapshot starts at journal 2
  fs.rmSync(path.join(dir, journalName(2)));
  const { file } = JournalWriter.create(dir, 3);
  fs.appendFileSync(file, encodeRecord({ op: 'kv', key: 'after', value: 'gap' }));
  const message = `Journal files 2 to 2 of the store at ${dir} are missing; the changes they held are lost.`;
  const ro = await openSqliteStoreReadOnly(dir);
  assert.deepEqual(ro.openReport.warnings.map((w) => [w.reason, w.message]), [['store_corrupt', message]]);
  assert.equal(ro.getKv('after'), 'gap');
  await ro.close();
  const rw = await openIn(dir);
  assert.deepEqual(rw.openReport.warnings.map((w) => w.message), [message]);
  assert.equal(rw.openReport.segments, 1);
  await rw.close();
});

test('a snapshot that is gone (not damaged) while later journals remain is reported as a loss, read-only and writable', async () => {
  const dir = tempDir('nosnap');
  const store = await openIn(dir);
  store.insert([fullSegment(1)]);
  await store.close(); // snapshot starts at journal 2
  const later = await openIn(dir);
  later.insert([fullSegment(2)]);
  await later.close({ snapshot: false });
  fs.rmSync(path.join(dir, 'snapshot.db'));
  const message = `The snapshot of the store at ${dir} is missing and its journals start at 2: the changes before them are lost.`;
  const ro = await openSqliteStoreReadOnly(dir);
  assert.deepEqual(ro.openReport.warnings.map((w) => [w.reason, w.message]), [['store_corrupt', message]]);
  assert.equal(ro.openReport.segments, 1, 'what journal 2 holds');
  await ro.close();
  const rw = await openIn(dir);
  assert.deepEqual(rw.openReport.warnings.map((w) => w.message), [message]);
  assert.deepEqual([rw.getText(1), rw.getText(2)], [undefined, fullSegment(2).text]);
  await rw.close();
});
