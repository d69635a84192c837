import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32, encodeOps, encodeRecord, JournalWriter, scanJournal, type JournalOp } from '../../src/engine/store/journal';
import { fullSegment, tempDir } from './storeHelpers';

const kv = (i: number): JournalOp => ({ op: 'kv', key: `k${i}`, value: `v${i}` });

function read(file: string, seq: number): JournalOp[] {
  const ops: JournalOp[] = [];
  const scan = scanJournal(file, seq, (op) => ops.push(op));
  assert.equal(scan.problem, undefined);
  return ops;
}

test('crc32 matches the IEEE check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
});

test('a commit() made in the same turn as the previous commit resolving is not lost', async () => {
  const dir = tempDir('wakeup');
  const { file, size } = JournalWriter.create(dir, 1);
  const w = new JournalWriter(file, 1, size);
  // Chain directly on the writer's promise: the callback runs before any later microtask of the loop.
  let chained = 0;
  const step = (i: number): Promise<void> => {
    w.append(kv(i));
    return w.commit().then(() => {
      chained++;
      return i < 50 ? step(i + 1) : undefined;
    });
  };
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('commit never resolved')), 5000));
  await Promise.race([step(1), timeout]);
  assert.equal(chained, 50);
  await w.close();
  assert.equal(read(file, 1).length, 50);
});

test('group commit: one fdatasync for everything queued, however many commit() calls', async () => {
  const dir = tempDir('jgroup');
  const { file, size } = JournalWriter.create(dir, 1);
  const w = new JournalWriter(file, 1, size);
  for (let i = 0; i < 100; i++) w.append(kv(i));
  await Promise.all(Array.from({ length: 10 }, () => w.commit()));
  assert.equal(w.syncs, 1);
  await w.commit();
  assert.equal(w.syncs, 1);
  await w.close();
  assert.deepEqual(read(file, 1), Array.from({ length: 100 }, (_, i) => kv(i)));
});

test('rotate: records before the call stay in the old file, later ones go to the new one, in order', async () => {
  const dir = tempDir('rotate');
  const { file, size } = JournalWriter.create(dir, 1);
  const w = new JournalWriter(file, 1, size);
  w.append(kv(1));
  w.append(kv(2));
  const rotated = w.rotate((seq) => JournalWriter.createAsync(dir, seq));
  w.append(kv(3));
  const committed = w.commit();
  assert.equal(await rotated, 2);
  await committed;
  w.append(kv(4));
  await w.commit();
  await w.close();
  assert.deepEqual(read(file, 1), [kv(1), kv(2)]);
  assert.deepEqual(read(path.join(dir, 'journal.000002'), 2), [kv(3), kv(4)]);
});

test('scan: a short tail is torn, a bad record followed by more data is corrupt', () => {
  const dir = tempDir('scan');
  const { file } = JournalWriter.create(dir, 7);
  const recs = [kv(1), kv(2), kv(3)].map(encodeRecord);
  fs.appendFileSync(file, Buffer.concat(recs));
  const full = fs.readFileSync(file);
  assert.equal(scanJournal(file, 7, () => {}).records, 3);
  assert.equal(scanJournal(file, 8, () => {}).problem?.kind, 'corrupt');
  fs.writeFileSync(file, full.subarray(0, full.length - 1));
  const torn = scanJournal(file, 7, () => {});
  assert.deepEqual([torn.records, torn.goodBytes, torn.problem?.kind], [2, full.length - recs[2]!.length, 'torn']);
  const mid = Buffer.from(full);
  mid[16 + 8] ^= 1;
  fs.writeFileSync(file, mid);
  const bad = scanJournal(file, 7, () => {});
  assert.deepEqual([bad.records, bad.goodBytes, bad.problem?.kind, bad.problem?.detail], [0, 16, 'corrupt', 'checksum mismatch']);
  fs.writeFileSync(file, full.subarray(0, 9));
  assert.deepEqual(scanJournal(file, 7, () => {}).problem, { kind: 'torn', offset: 0, detail: 'header is 9 of 16 bytes' });
});

test('a huge batch is split over several records, in order, each replayable on its own', () => {
  const dir = tempDir('split');
  const { file } = JournalWriter.create(dir, 1);
  const big = 'x'.repeat(3 << 20);
  const segments = Array.from({ length: 7 }, (_, i) => fullSegment(i + 1, { text: big }));
  const records = encodeOps({ op: 'insert', segments });
  assert.equal(records.length, 4);
  assert.deepEqual(encodeOps({ op: 'kv', key: 'a', value: 'b' }).length, 1);
  fs.appendFileSync(file, Buffer.concat(records));
  const ops = read(file, 1);
  assert.deepEqual(ops.map((o) => (o.op === 'insert' ? o.segments.map((s) => s.id) : [])), [[1, 2], [3, 4], [5, 6], [7]]);
});
