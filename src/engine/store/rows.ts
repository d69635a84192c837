// Segment rows in the SQLite schema: writes (insert, update, delete, kv) and reads (metadata scan,
// texts, titles). Shared by the store's owner and the compaction worker, so that replaying a journal
// in either place produces the same database. The small statements of single changes are prepared
// once and cached (a prepare costs more than the change itself); `releaseStatements()` frees them and
// must run before export() and close. One-off statements are freed in `finally`.
//
// Writes follow MemoryStore exactly, including on error: a batch is applied in order up to the first
// bad item, which throws; the items before it stay applied. `apply*` report how far they got, so the
// owner journals precisely what was applied. In `lenient` mode (journal replay at open, where a lost
// snapshot may have taken rows a later change refers to) nothing throws: an insert over an existing id
// replaces it and an update of a missing id is skipped and counted.

import type { Segment, SegmentMeta } from '../model';
import { ContextGcError } from '../model';
import { CODES, type CodedField } from './schema';
import type { Database, SqlValue, Statement } from './sqljs';
import type { SegmentPatch } from './types';
import type { JournalOp } from './journal';

const META_COLUMNS = [
  ['id', 'id'],
  ['type', 'type'],
  ['tier', 'tier'],
  ['taskId', 'task_id'],
  ['filePath', 'file_path'],
  ['lineStart', 'line_start'],
  ['lineEnd', 'line_end'],
  ['source', 'source'],
  ['pinned', 'pinned'],
  ['generation', 'generation'],
  ['survivals', 'survivals'],
  ['createdAt', 'created_at'],
  ['touchedAt', 'touched_at'],
  ['tokens', 'tokens'],
  ['encoding', 'encoding'],
  ['textHash', 'text_hash'],
  ['title', 'title'],
  ['chars', 'chars'],
] as const;

const COLUMN_OF = new Map<string, string>(META_COLUMNS.map(([f, c]) => [f, c]));
const SELECT_META = `SELECT ${META_COLUMNS.map(([, c]) => c).join(', ')} FROM segments ORDER BY id`;
const INSERT_SEGMENT = `INSERT INTO segments (${META_COLUMNS.map(([, c]) => c).join(', ')}) VALUES (${META_COLUMNS.map(() => '?').join(', ')})`;
const EXISTS = 'SELECT 1 FROM segments WHERE id = ?';
const INSERT_TAG = 'INSERT INTO segment_tags (segment_id, ord, tag) VALUES (?, ?, ?)';
const INSERT_REF = 'INSERT INTO segment_refs (segment_id, ord, ref_id) VALUES (?, ?, ?)';
const DELETE_TAGS = 'DELETE FROM segment_tags WHERE segment_id = ?';
const DELETE_REFS = 'DELETE FROM segment_refs WHERE segment_id = ?';
const { type: TYPES, tier: TIERS, source: SOURCES, generation: GENERATIONS, encoding: ENCODINGS } = CODES;
/** Bound parameters per IN (...) chunk. */
const IN_CHUNK = 500;

const CODE_OF = new Map<string, Map<unknown, number>>(
  Object.entries(CODES).map(([field, values]) => [field, new Map<unknown, number>(values.map((v, i) => [v, i]))]),
);

function toSql(field: string, v: unknown): SqlValue {
  if (field === 'pinned') return v ? 1 : 0;
  const codes = CODE_OF.get(field);
  if (codes) {
    const code = codes.get(v);
    if (code === undefined) throw new ContextGcError('invalid_argument', `Cannot store ${field} ${JSON.stringify(v)}: not one of ${CODES[field as CodedField].join(', ')}.`);
    return code;
  }
  if (v === undefined || v === null) return null;
  return v as SqlValue;
}

function segmentParams(s: Segment): SqlValue[] {
  return META_COLUMNS.map(([f]) => toSql(f, (s as unknown as Record<string, unknown>)[f]));
}

export interface ApplyResult {
  /** Items applied, in order, before `error` (all of them when there is no error). */
  applied: number;
  /** Items skipped (lenient mode only). */
  skipped: number;
  error?: ContextGcError;
}

/** A sql.js database holding segments in the current schema. Owns no statements between calls. */
export class SegmentRows {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Database) {}

  /** A cached prepared statement (reset before each use by bind/run). */
  private st(sql: string): Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  /** Frees the cached statements: call before db.export() and db.close(). */
  releaseStatements(): void {
    for (const st of this.cache.values()) st.free();
    this.cache.clear();
  }

  /**
   * Starts one store call's changes: trims the cache if odd patches filled it, then a savepoint (a
   * transaction of its own). Replay commits per record too: batching records into larger transactions
   * measured 10-20% faster at 100k segments but 2-3x slower at 1M (the in-memory rollback journal
   * copies every page a batch of random updates touches).
   */
  private begin(): void {
    if (this.cache.size > 64) this.releaseStatements();
    this.st('SAVEPOINT call').run();
  }
  private commit(): void {
    this.st('RELEASE call').run();
  }
  private rollback(): void {
    this.st('ROLLBACK TO call').run();
    this.st('RELEASE call').run();
  }
  /** Runs `fn` inside one savepoint: released when it returns, rolled back when it throws. */
  private transaction<T>(fn: () => T): T {
    this.begin();
    try {
      const out = fn();
      this.commit();
      return out;
    } catch (err) {
      this.rollback();
      throw err;
    }
  }

  // ---- writes --------------------------------------------------------------------------------------

  insert(segments: readonly Segment[], lenient = false): ApplyResult {
    const r: ApplyResult = { applied: 0, skipped: 0 };
    if (segments.length === 0) return r;
    this.transaction(() => {
      const exists = this.st(EXISTS);
      const ins = this.st(INSERT_SEGMENT);
      const text = this.st('INSERT INTO texts (id, text) VALUES (?, ?)');
      const tag = this.st(INSERT_TAG);
      const ref = this.st(INSERT_REF);
      for (const s of segments) {
        if (has(exists, s.id)) {
          if (!lenient) {
            r.error = new ContextGcError('invalid_argument', `Segment ${s.id} already exists.`);
            break;
          }
          this.deleteIds([s.id]);
        }
        ins.run(segmentParams(s));
        text.run([s.id, s.text]);
        insertList(tag, s.id, s.tags);
        insertList(ref, s.id, s.refs);
        r.applied++;
      }
    });
    return r;
  }

  update(patches: readonly SegmentPatch[], lenient = false): ApplyResult {
    const r: ApplyResult = { applied: 0, skipped: 0 };
    if (patches.length === 0) return r;
    this.transaction(() => {
      const exists = this.st(EXISTS);
      for (const p of patches) {
        if (!has(exists, p.id)) {
          if (lenient) {
            r.skipped++;
            continue;
          }
          r.error = new ContextGcError('not_found', `Segment ${p.id} does not exist.`);
          break;
        }
        const cols: string[] = [];
        const vals: SqlValue[] = [];
        for (const key of Object.keys(p)) {
          const v = (p as Record<string, unknown>)[key];
          if (key === 'id' || v === undefined) continue;
          const col = COLUMN_OF.get(key);
          if (col) {
            cols.push(col);
            vals.push(toSql(key, v));
          }
        }
        if (cols.length) {
          vals.push(p.id);
          // One cached statement per set of columns (a handful occur: stash, pin, touch, text, ...).
          this.st(`UPDATE segments SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run(vals);
        }
        if (p.text !== undefined) this.st('UPDATE texts SET text = ? WHERE id = ?').run([p.text, p.id]);
        if (p.tags !== undefined) {
          this.st(DELETE_TAGS).run([p.id]);
          insertList(this.st(INSERT_TAG), p.id, p.tags);
        }
        if (p.refs !== undefined) {
          this.st(DELETE_REFS).run([p.id]);
          insertList(this.st(INSERT_REF), p.id, p.refs);
        }
        r.applied++;
      }
    });
    return r;
  }

  delete(ids: readonly number[]): ApplyResult {
    if (ids.length === 0) return { applied: 0, skipped: 0 };
    this.transaction(() => this.deleteIds(ids));
    return { applied: ids.length, skipped: 0 };
  }

  setKv(key: string, value: string): void {
    this.st('INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)').run([key, value]);
  }

  /** Applies one journal record (replay). Lenient: see the header. Returns items skipped. */
  apply(op: JournalOp): number {
    switch (op.op) {
      case 'insert':
        return this.insert(op.segments, true).skipped;
      case 'update':
        return this.update(op.patches, true).skipped;
      case 'delete':
        this.delete(op.ids);
        return 0;
      case 'kv':
        this.setKv(op.key, op.value);
        return 0;
      default:
        throw new ContextGcError('store_corrupt', `Unknown journal record kind ${JSON.stringify((op as { op: unknown }).op)}.`);
    }
  }

  private deleteIds(ids: readonly number[]): void {
    const stmts = ['DELETE FROM segments WHERE id = ?', 'DELETE FROM texts WHERE id = ?', DELETE_TAGS, DELETE_REFS].map((sql) => this.st(sql));
    for (const id of ids) for (const st of stmts) st.run([id]);
  }

  // ---- reads ---------------------------------------------------------------------------------------

  getKv(key: string): string | undefined {
    return this.one('SELECT value FROM kv WHERE key = ?', key);
  }

  getText(id: number): string | undefined {
    return this.one('SELECT text FROM texts WHERE id = ?', id);
  }

  private one(sql: string, param: string | number): string | undefined {
    const st = this.st(sql);
    try {
      st.bind([param]);
      return st.step() ? (st.get()[0] as string) : undefined;
    } finally {
      st.reset();
    }
  }

  getTexts(ids: readonly number[]): Map<number, string> {
    return this.lookupMany('SELECT id, text FROM texts WHERE id IN', ids);
  }

  getTitles(ids: readonly number[]): Map<number, string> {
    return this.lookupMany('SELECT id, title FROM segments WHERE id IN', ids);
  }

  /** Runs `<select> (?, ?, ...)` over `ids` in chunks; one statement for the full chunks, one for the rest. */
  private lookupMany(select: string, ids: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    if (ids.length === 0) return out;
    const stmts = new Map<number, Statement>();
    try {
      for (let i = 0; i < ids.length; i += IN_CHUNK) {
        const chunk = ids.slice(i, i + IN_CHUNK);
        let st = stmts.get(chunk.length);
        if (!st) {
          st = this.db.prepare(`${select} (${chunk.map(() => '?').join(',')})`);
          stmts.set(chunk.length, st);
        }
        st.bind(chunk as number[]);
        while (st.step()) {
          const row = st.get();
          out.set(row[0] as number, row[1] as string);
        }
        st.reset();
      }
    } finally {
      for (const st of stmts.values()) st.free();
    }
    return out;
  }

  /** Every segment's metadata in ascending id order: one pass over segments, merged with tags and refs. */
  scanMeta(visit: (meta: SegmentMeta) => void): void {
    const seg = this.db.prepare(SELECT_META);
    const tags = this.db.prepare('SELECT segment_id, tag FROM segment_tags ORDER BY segment_id, ord');
    const refs = this.db.prepare('SELECT segment_id, ref_id FROM segment_refs ORDER BY segment_id, ord');
    try {
      let tagRow = tags.step() ? tags.get() : undefined;
      let refRow = refs.step() ? refs.get() : undefined;
      while (seg.step()) {
        const r = seg.get();
        const id = r[0] as number;
        const tagList: string[] = [];
        while (tagRow && (tagRow[0] as number) <= id) {
          if (tagRow[0] === id) tagList.push(tagRow[1] as string);
          tagRow = tags.step() ? tags.get() : undefined;
        }
        const refList: number[] = [];
        while (refRow && (refRow[0] as number) <= id) {
          if (refRow[0] === id) refList.push(refRow[1] as number);
          refRow = refs.step() ? refs.get() : undefined;
        }
        visit({
          id,
          type: TYPES[r[1] as number]!,
          tier: TIERS[r[2] as number]!,
          taskId: r[3] as string | null,
          filePath: r[4] as string | null,
          lineStart: r[5] as number | null,
          lineEnd: r[6] as number | null,
          tags: tagList,
          source: SOURCES[r[7] as number]!,
          refs: refList,
          pinned: r[8] === 1,
          generation: GENERATIONS[r[9] as number]!,
          survivals: r[10] as number,
          createdAt: r[11] as number,
          touchedAt: r[12] as number,
          tokens: r[13] as number,
          encoding: ENCODINGS[r[14] as number]!,
          textHash: r[15] as string,
          title: r[16] as string,
          chars: r[17] as number,
        });
      }
    } finally {
      seg.free();
      tags.free();
      refs.free();
    }
  }

  count(): number {
    return Number(this.db.exec('SELECT count(*) FROM segments')[0]!.values[0]![0]);
  }

  /** Database size in bytes (pages in use by sql.js). */
  byteSize(): number {
    const r = this.db.exec('PRAGMA page_count; PRAGMA page_size');
    return Number(r[0]!.values[0]![0]) * Number(r[1]!.values[0]![0]);
  }

  /** Consistency problems, empty when none: SQLite's own check plus the links between tables. */
  verify(): string[] {
    const problems: string[] = [];
    const check = this.db.exec('PRAGMA quick_check');
    const verdict = check[0]?.values.map((v) => String(v[0])) ?? [];
    if (verdict.join() !== 'ok') problems.push(...verdict.map((v) => `sqlite: ${v}`));
    const counts: [string, string][] = [
      ['segments without text', 'SELECT count(*) FROM segments s WHERE NOT EXISTS (SELECT 1 FROM texts t WHERE t.id = s.id)'],
      ['texts without segment', 'SELECT count(*) FROM texts t WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.id = t.id)'],
      ['tags without segment', 'SELECT count(*) FROM segment_tags g WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.id = g.segment_id)'],
      ['refs without segment', 'SELECT count(*) FROM segment_refs g WHERE NOT EXISTS (SELECT 1 FROM segments s WHERE s.id = g.segment_id)'],
    ];
    for (const [what, sql] of counts) {
      const n = Number(this.db.exec(sql)[0]!.values[0]![0]);
      if (n) problems.push(`${n} ${what}`);
    }
    return problems;
  }
}

function has(exists: Statement, id: number): boolean {
  exists.bind([id]);
  const found = exists.step();
  exists.reset();
  return found;
}

function insertList(st: Statement, id: number, values: readonly (string | number)[] | undefined): void {
  if (!values) return;
  for (let i = 0; i < values.length; i++) st.run([id, i, values[i]!]);
}
