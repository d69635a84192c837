// Terms of the metadata that helps ranking: file paths and tags.
//
// The segment table already interns every distinct path and tag and keeps postings from each to its
// segments. So instead of copying paths and tags into the text index for every segment, we tokenize each
// distinct path and tag once (`src/engine/searchIndex.ts` -> src, engine, searchindex, search, index, ts)
// and map term -> codes. A query term then reaches its segments through the table's postings.

import type { SegmentTable } from '../table';
import { forEachTerm } from './tokenize';
import type { Vocabulary } from './typo';

export class MetaTerms {
  private filesDone = 0;
  private tagsDone = 0;
  private readonly fileTerms = new Map<string, number[]>();
  private readonly tagTerms = new Map<string, number[]>();

  constructor(
    private readonly table: SegmentTable,
    private readonly vocabulary: Vocabulary,
  ) {}

  /** Take in paths and tags interned since the last call (interned values never change). */
  sync(): void {
    const files = this.table.files.values;
    for (; this.filesDone < files.length; this.filesDone++) this.addTerms(this.fileTerms, files[this.filesDone], this.filesDone);
    const tags = this.table.tagNames.values;
    for (; this.tagsDone < tags.length; this.tagsDone++) this.addTerms(this.tagTerms, tags[this.tagsDone], this.tagsDone);
  }

  /** File codes whose path contains `term`. */
  files(term: string): readonly number[] {
    return this.fileTerms.get(term) ?? [];
  }

  /** Tag codes whose tag contains `term`. */
  tags(term: string): readonly number[] {
    return this.tagTerms.get(term) ?? [];
  }

  private addTerms(map: Map<string, number[]>, value: string, code: number): void {
    forEachTerm(value, (t) => {
      let codes = map.get(t);
      if (!codes) map.set(t, (codes = []));
      if (codes[codes.length - 1] !== code) codes.push(code);
      this.vocabulary.add(t);
    });
  }
}
