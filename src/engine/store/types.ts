// The storage interface the engine talks to. Two implementations: MemoryStore (tests, scratch) and the
// durable sql.js store with its journal (store/sqlite). The engine owns ids and all validation; a store
// only persists what it is told, in order, and makes it durable on `commit()`.

import type { Segment, SegmentMeta } from '../model';
import type { JournalOp } from './journal';

/** Fields of a segment a change can set. `text` changes come with their derived fields (tokens, hash, title, chars). */
export type SegmentPatch = { id: number } & Partial<Omit<Segment, 'id'>>;

/** A point in a durable store's journal: journal file `seq`, `bytes` long. */
export interface JournalPosition {
  seq: number;
  bytes: number;
}

/** What `journalSince` found: the records were all there (and visited), or why not. */
export type JournalTail =
  | { ok: true; records: number }
  /** `quiet`: an ordinary reason (e.g. folded into a snapshot since), nothing to warn about. */
  | { ok: false; quiet: boolean; why: string };

export interface CloseOptions {
  /**
   * Called once every change is durable (and a closing snapshot written), before the store's lock is
   * released, with where the journal ends: nothing can be written between that and the next open.
   */
  beforeUnlock?(end: JournalPosition): void;
}

export interface SegmentStore {
  /** The directory of a durable store (derived caches such as the engine's table image live there). */
  readonly dir?: string;
  /**
   * Where the journal ended after the open's replay (durable stores with a journal). Equal to a position
   * taken earlier with `journalPosition()` exactly when nothing was written to the store in between.
   */
  readonly journalEndAtOpen?: JournalPosition;
  /** Where the journal ends now, when every change so far is durable and nothing is being written; else undefined. */
  journalPosition?(): JournalPosition | undefined;
  /**
   * The journal records written after `from` (a position taken earlier) up to where the open's replay
   * ended, in order, to `visit`: what a cache saved at `from` lacks. Call before writing.
   */
  journalSince?(from: JournalPosition, visit: (op: JournalOp) => void): JournalTail;
  /** True when the store cannot be changed (then nothing may be written beside it either). */
  readonly readOnly?: boolean;
  /** Visit the metadata of every stored segment in ascending id order (used once, at open). */
  scanMeta(visit: (meta: SegmentMeta) => void): void;
  /** Text of one segment, or undefined when there is no such segment. */
  getText(id: number): string | undefined;
  /** Texts of many segments; missing ids are absent from the map. */
  getTexts(ids: readonly number[]): Map<number, string>;
  /** Titles (first lines) of many segments. */
  getTitles(ids: readonly number[]): Map<number, string>;
  /** Insert segments with engine-assigned ids (never an existing id). */
  insert(segments: readonly Segment[]): void;
  /** Apply partial updates to existing segments. */
  update(patches: readonly SegmentPatch[]): void;
  /** Remove segments for good. */
  delete(ids: readonly number[]): void;
  /** Small durable key/value state: next id, current task, task registry, settings the engine keeps. */
  getKv(key: string): string | undefined;
  setKv(key: string, value: string): void;
  /** Resolves once every change made before the call is durable (group commit: one fsync for many changes). */
  commit(): Promise<void>;
  /** Make everything durable and release the store. */
  close(options?: CloseOptions): Promise<void>;
}
