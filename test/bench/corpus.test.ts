// The shared benchmark corpus must be deterministic and have the shape the benchmarks assume.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generateCorpus, loadSourcePool, type CorpusSegment } from '../../bench/corpus';
import { isSegmentType, isSource } from '../../src/engine/model';
import { createTokenCounter } from '../../src/engine/tokens';

const N = 20_000;
const segments: CorpusSegment[] = [...generateCorpus(N, { seed: 42 })];

describe('benchmark corpus', () => {
  it('gives the same segments for the same n and seed, and different ones for another seed', () => {
    const again = [...generateCorpus(N, { seed: 42 })];
    assert.deepEqual(again, segments);
    const other = [...generateCorpus(50, { seed: 43 })];
    assert.notEqual(other.map((s) => s.text).join(''), segments.slice(0, 50).map((s) => s.text).join(''));
  });

  it('has valid fields: types, sources, tasks, earlier refs, tags, ordered timestamps over 30 days', () => {
    const start = Date.UTC(2026, 9, 1);
    let prev = start;
    for (const s of segments) {
      assert.ok(isSegmentType(s.type) && isSource(s.source));
      assert.ok(s.text.length > 0);
      assert.match(s.taskId, /^task-\d{3}-/);
      assert.ok(s.tags.length <= 3 && new Set(s.tags).size === s.tags.length);
      for (const r of s.refs) assert.ok(Number.isInteger(r) && r >= 0 && r < s.index);
      assert.ok(s.createdAt >= prev && s.createdAt < start + 30 * 86_400_000);
      prev = s.createdAt;
      if (s.type === 'code') {
        assert.ok(s.filePath && s.lineStart !== null && s.lineEnd !== null && s.lineStart <= s.lineEnd);
        assert.equal(s.text.split('\n').length - (s.text.endsWith('\n') ? 1 : 0), s.lineEnd - s.lineStart + 1);
      }
    }
    assert.deepEqual(segments.map((s) => s.index), Array.from({ length: N }, (_, i) => i));
  });

  it('has the realistic mix: ~100 tokens per segment, most 10-200, a ~3% tail of long code', () => {
    const counter = createTokenCounter('o200k_base');
    const tokens = segments.map((s) => counter.count(s.text));
    const mean = tokens.reduce((a, b) => a + b, 0) / N;
    const share = (f: (t: number, s: CorpusSegment) => boolean) => segments.filter((s, i) => f(tokens[i], s)).length / N;
    assert.ok(mean > 85 && mean < 120, `mean ${mean}`);
    assert.ok(share((t) => t >= 10 && t < 200) > 0.85);
    const long = share((t, s) => t >= 1000 && s.type === 'code');
    assert.ok(long > 0.02 && long < 0.05, `long ${long}`);
    const types = new Map<string, number>();
    for (const s of segments) types.set(s.type, (types.get(s.type) ?? 0) + 1);
    assert.equal(types.size, 6);
    assert.ok((types.get('message') ?? 0) > (types.get('decision') ?? 0));
    assert.equal(new Set(segments.map((s) => s.taskId)).size, 200);
    assert.ok(new Set(segments.flatMap((s) => s.tags)).size > 90);
    assert.ok(new Set(segments.map((s) => s.filePath).filter(Boolean)).size > 3000);
    assert.ok(share((_, s) => s.refs.length > 0) > 0.05);
  });

  it('reads a pool of real source and prose with ~5,000 paths', () => {
    const pool = loadSourcePool();
    assert.equal(pool.paths.length, 5000);
    assert.ok(pool.code.length > 500 && pool.prose.length > 50 && pool.chars > 10_000_000);
  });
});
