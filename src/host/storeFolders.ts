// Where a window keeps its store and its saved search index (no vscode import, so it is unit-tested).
//
// The index lives inside the store folder, where the CLI and the MCP server keep it too
// (src/cli/open.ts): whichever of them opens the store next finds the index it saved last, current,
// instead of each keeping its own copy that goes stale whenever another writer had the store.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StoreLocation {
  dir: string;
  /** The saved search index: `<dir>/search`. */
  searchDir: string;
  /** Where versions up to 0.1.0 kept the index (beside the store); moved into the store at start. */
  legacySearchDir: string;
  scope: 'workspace' | 'global';
}

/** The workspace's storage folder when a folder is open, else a shared folder in the global storage. */
export function locateStore(workspaceStorage: string | null, globalStorage: string): StoreLocation {
  const base = workspaceStorage ?? path.join(globalStorage, 'no-folder');
  const dir = path.join(base, 'store');
  return { dir, searchDir: path.join(dir, 'search'), legacySearchDir: path.join(base, 'search'), scope: workspaceStorage ? 'workspace' : 'global' };
}

/**
 * Moves an index saved where older versions kept it into the store folder: one rename (or, when the
 * store folder already has one, removes the old copy). Returns what it did for the log, or null when
 * there was nothing to do. A failure only costs a background rebuild of
 * the index, so it is reported, not thrown.
 */
export function moveLegacySearchIndex(loc: StoreLocation): string | null {
  if (!fs.existsSync(loc.legacySearchDir)) return null;
  try {
    if (fs.existsSync(loc.searchDir)) {
      // Both: the one in the store folder is the one every opener uses; the old one is a stale cache.
      fs.rmSync(loc.legacySearchDir, { recursive: true, force: true });
      return `removed the old search index at ${loc.legacySearchDir}: the store folder has its own`;
    }
    fs.mkdirSync(loc.dir, { recursive: true });
    fs.renameSync(loc.legacySearchDir, loc.searchDir);
    return `moved the search index from ${loc.legacySearchDir} into the store folder`;
  } catch (err) {
    return `could not move the search index from ${loc.legacySearchDir}: ${(err as Error).message} (it will be rebuilt in the background)`;
  }
}
