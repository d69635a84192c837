import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { locateStore, moveLegacySearchIndex } from '../../src/host/storeFolders';
import { tempDir } from '../engine/storeHelpers';

function temp(): string {
  return tempDir('folders');
}

test('a window with a folder keeps store and index in its workspace storage; without one, in the global storage', () => {
  assert.deepEqual(locateStore('/ws/abc', '/global'), {
    dir: path.join('/ws/abc', 'store'),
    searchDir: path.join('/ws/abc', 'store', 'search'),
    legacySearchDir: path.join('/ws/abc', 'search'),
    scope: 'workspace',
  });
  assert.deepEqual(locateStore(null, '/global'), {
    dir: path.join('/global', 'no-folder', 'store'),
    searchDir: path.join('/global', 'no-folder', 'store', 'search'),
    legacySearchDir: path.join('/global', 'no-folder', 'search'),
    scope: 'global',
  });
});

test('an index where 0.1.0 kept it moves into the store folder, files intact; nothing to do the next time', () => {
  const base = temp();
  const loc = locateStore(base, '/unused');
  fs.mkdirSync(loc.legacySearchDir);
  fs.writeFileSync(path.join(loc.legacySearchDir, 'search-index.jsonl'), 'saved index\n');
  assert.equal(moveLegacySearchIndex(loc), `moved the search index from ${loc.legacySearchDir} into the store folder`);
  assert.equal(fs.readFileSync(path.join(loc.searchDir, 'search-index.jsonl'), 'utf8'), 'saved index\n');
  assert.equal(fs.existsSync(loc.legacySearchDir), false);
  assert.equal(moveLegacySearchIndex(loc), null);
});

test('when the store folder has its own index, the old copy is removed and the store folder\'s kept', () => {
  const base = temp();
  const loc = locateStore(base, '/unused');
  fs.mkdirSync(loc.legacySearchDir);
  fs.writeFileSync(path.join(loc.legacySearchDir, 'search-index.jsonl'), 'old\n');
  fs.mkdirSync(loc.searchDir, { recursive: true });
  fs.writeFileSync(path.join(loc.searchDir, 'search-index.jsonl'), 'current\n');
  assert.equal(moveLegacySearchIndex(loc), `removed the old search index at ${loc.legacySearchDir}: the store folder has its own`);
  assert.equal(fs.readFileSync(path.join(loc.searchDir, 'search-index.jsonl'), 'utf8'), 'current\n');
  assert.equal(fs.existsSync(loc.legacySearchDir), false);
});

test('a move that fails is reported (the index is then rebuilt), never thrown', () => {
  const base = temp();
  const loc = locateStore(base, '/unused');
  fs.mkdirSync(loc.legacySearchDir);
  // The store "folder" is a file: mkdir under it fails.
  fs.writeFileSync(loc.dir, 'not a folder');
  const said = moveLegacySearchIndex(loc);
  assert.equal(said, `could not move the search index from ${loc.legacySearchDir}: EEXIST: file already exists, mkdir '${loc.dir}' (it will be rebuilt in the background)`);
  assert.equal(fs.existsSync(loc.legacySearchDir), true);
});
