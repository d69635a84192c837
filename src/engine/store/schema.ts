// The SQLite schema of a store, its version number (PRAGMA user_version) and the forward migrations
// that bring an older database up to date. Every filter the engine offers has an index here: task,
// file path, type, tier, created and touched time; tags and refs live in join tables (tag -> ids and
// ref -> ids are index lookups). Texts sit in their own table so metadata pages stay dense: a full
// metadata scan at open reads no text pages.
//
// Enumerations (type, tier, source, generation, encoding) are stored as small integer codes, fixed
// here and never renumbered: reading a string column costs several times more than an integer in
// sql.js, and the metadata scan at open reads every row.
//
// History:
//   v1  one `segments` table holding text, tags and refs (JSON arrays) inline, enumerations as text;
//       index on task only.
//   v2  texts split out, tags and refs in join tables, enumerations as integer codes, an index for
//       every filter.

import type { Database } from './sqljs';
import { ContextGcError, type Encoding, type Generation, type SegmentType, type Source, type Tier } from '../model';

/** Stored codes of each enumeration: position in the list. Append only; never reorder. */
export const CODES = {
  type: ['message', 'code', 'log', 'note', 'decision', 'summary'] as readonly SegmentType[],
  tier: ['working', 'stashed'] as readonly Tier[],
  source: ['editor', 'agent', 'chat', 'import', 'user'] as readonly Source[],
  generation: ['young', 'old'] as readonly Generation[],
  encoding: ['o200k_base', 'cl100k_base'] as readonly Encoding[],
};
export type CodedField = keyof typeof CODES;

/** SQL expression turning a v1 text column into its code (for the migration). */
function caseOf(field: CodedField): string {
  return `CASE ${field} ${CODES[field].map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} END`;
}

export const SCHEMA_VERSION = 2;

/** Connection settings (not stored in the file): the database lives in memory, the journal gives durability. */
export const CONNECTION_PRAGMAS = `
PRAGMA locking_mode = EXCLUSIVE;
PRAGMA journal_mode = MEMORY;
PRAGMA synchronous = OFF;
PRAGMA temp_store = MEMORY;
PRAGMA cache_size = -16384;
`;

/** v1, kept verbatim: the migration tests build their fixture from it. */
export const SCHEMA_V1 = `
CREATE TABLE segments (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL, tier TEXT NOT NULL,
  task_id TEXT, file_path TEXT, line_start INTEGER, line_end INTEGER,
  tags TEXT NOT NULL DEFAULT '[]',
  source TEXT NOT NULL,
  refs TEXT NOT NULL DEFAULT '[]',
  pinned INTEGER NOT NULL, generation TEXT NOT NULL, survivals INTEGER NOT NULL,
  created_at INTEGER NOT NULL, touched_at INTEGER NOT NULL,
  tokens INTEGER NOT NULL, encoding TEXT NOT NULL, text_hash TEXT NOT NULL,
  title TEXT NOT NULL, chars INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX segments_task ON segments(task_id);
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
PRAGMA user_version = 1;
`;

const INDEXES_V2 = `
CREATE INDEX IF NOT EXISTS segments_task ON segments(task_id);
CREATE INDEX IF NOT EXISTS segments_file ON segments(file_path);
CREATE INDEX IF NOT EXISTS segments_type ON segments(type);
CREATE INDEX IF NOT EXISTS segments_tier ON segments(tier);
CREATE INDEX IF NOT EXISTS segments_created ON segments(created_at);
CREATE INDEX IF NOT EXISTS segments_touched ON segments(touched_at);
CREATE INDEX IF NOT EXISTS segment_tags_tag ON segment_tags(tag, segment_id);
CREATE INDEX IF NOT EXISTS segment_refs_ref ON segment_refs(ref_id);
`;

const JOIN_TABLES_V2 = `
CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE segment_tags (segment_id INTEGER NOT NULL, ord INTEGER NOT NULL, tag TEXT NOT NULL,
  PRIMARY KEY (segment_id, ord)) WITHOUT ROWID;
CREATE TABLE segment_refs (segment_id INTEGER NOT NULL, ord INTEGER NOT NULL, ref_id INTEGER NOT NULL,
  PRIMARY KEY (segment_id, ord)) WITHOUT ROWID;
`;

const SEGMENTS_V2 = (name: string): string => `
CREATE TABLE ${name} (
  id INTEGER PRIMARY KEY,
  type INTEGER NOT NULL, tier INTEGER NOT NULL,
  task_id TEXT, file_path TEXT, line_start INTEGER, line_end INTEGER,
  source INTEGER NOT NULL,
  pinned INTEGER NOT NULL, generation INTEGER NOT NULL, survivals INTEGER NOT NULL,
  created_at INTEGER NOT NULL, touched_at INTEGER NOT NULL,
  tokens INTEGER NOT NULL, encoding INTEGER NOT NULL, text_hash TEXT NOT NULL,
  title TEXT NOT NULL, chars INTEGER NOT NULL
);`;

/** The current schema, for a new database. */
export const SCHEMA_CURRENT = `
${SEGMENTS_V2('segments')}
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
${JOIN_TABLES_V2}
${INDEXES_V2}
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** Migration from version `from` to `from + 1`. Each runs inside one transaction. */
const MIGRATIONS: Record<number, string> = {
  1: `
${JOIN_TABLES_V2}
INSERT INTO texts (id, text) SELECT id, text FROM segments;
INSERT INTO segment_tags (segment_id, ord, tag) SELECT s.id, j.key, j.value FROM segments s, json_each(s.tags) j;
INSERT INTO segment_refs (segment_id, ord, ref_id) SELECT s.id, j.key, j.value FROM segments s, json_each(s.refs) j;
${SEGMENTS_V2('segments_v2')}
INSERT INTO segments_v2 SELECT id, ${caseOf('type')}, ${caseOf('tier')}, task_id, file_path, line_start, line_end,
  ${caseOf('source')}, pinned, ${caseOf('generation')}, survivals, created_at, touched_at, tokens, ${caseOf('encoding')},
  text_hash, title, chars FROM segments;
DROP TABLE segments;
ALTER TABLE segments_v2 RENAME TO segments;
${INDEXES_V2}
PRAGMA user_version = 2;
`,
};

export function schemaVersion(db: Database): number {
  const rows = db.exec('PRAGMA user_version');
  return Number(rows[0]?.values[0]?.[0] ?? 0);
}

/** True when the database has no tables at all (a fresh sql.js database). */
function isEmpty(db: Database): boolean {
  const rows = db.exec("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
  return Number(rows[0]?.values[0]?.[0] ?? 0) === 0;
}

export interface MigrationResult {
  /** Version found (0 for a new database). */
  from: number;
  to: number;
  /** True when the database was changed (created or migrated) and a snapshot should be written. */
  changed: boolean;
}

/** Creates the schema in an empty database, or migrates an older one forward. */
export function ensureSchema(db: Database, where: string): MigrationResult {
  db.exec(CONNECTION_PRAGMAS);
  if (isEmpty(db)) {
    db.exec('BEGIN');
    try {
      db.exec(SCHEMA_CURRENT);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    return { from: 0, to: SCHEMA_VERSION, changed: true };
  }
  const from = schemaVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new ContextGcError('schema_too_new', `The store at ${where} has schema version ${from}, newer than this ` +
      `version of Context GC understands (${SCHEMA_VERSION}). Update the extension or CLI to open it.`);
  }
  if (from < 1) {
    throw new ContextGcError('store_corrupt', `The store at ${where} has tables but no schema version: it was not written by Context GC.`);
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[v]!);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new ContextGcError('store_corrupt', `Migrating the store at ${where} from schema version ${v} to ${v + 1} failed: ${String(err)}`);
    }
  }
  if (from < SCHEMA_VERSION) db.exec('VACUUM');
  return { from, to: SCHEMA_VERSION, changed: from < SCHEMA_VERSION };
}
