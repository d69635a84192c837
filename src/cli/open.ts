// Opens a project's store and engine for a command-line process (the CLI and the MCP server's own-store
// path): the durable sql.js store in `dir`, the search index saved beside it, and the settings the CLI
// remembers in the store (budget, encoding).

import * as path from 'node:path';
import { ContextEngine } from '../engine/engine';
import { openSqliteStore } from '../engine/store/sqlite';
import { isEncoding, type Encoding } from '../engine/model';

export interface OpenCliOptions {
  budget?: number;
  encoding?: string;
  /** Written in the lock file, shown to a second writer. */
  purpose?: string;
  lockWaitMs?: number;
  onWarning?: (message: string) => void;
  project?: string;
}

const KV_CLI_SETTINGS = 'cli.settings';

interface CliSettings {
  budget?: number;
  encoding?: Encoding;
}

export async function openCliEngine(dir: string, opts: OpenCliOptions = {}): Promise<ContextEngine> {
  const store = await openSqliteStore(dir, { purpose: opts.purpose ?? `cli (${process.argv.slice(2, 3).join(' ') || 'context-gc'})`, lockWaitMs: opts.lockWaitMs ?? 2000 });
  try {
    for (const w of store.openReport.warnings) opts.onWarning?.(w.message);
    const saved = JSON.parse(store.getKv(KV_CLI_SETTINGS) ?? '{}') as CliSettings;
    const encoding: Encoding = saved.encoding && isEncoding(saved.encoding) ? saved.encoding : 'o200k_base';
    const engine = await ContextEngine.open({
      store,
      encoding,
      settings: saved.budget ? { budget: saved.budget } : {},
      project: opts.project ?? path.basename(path.dirname(path.resolve(dir))),
      searchDir: path.join(dir, 'search'),
    });
    let changed = false;
    if (opts.budget !== undefined && opts.budget !== saved.budget) {
      engine.configure({ budget: opts.budget });
      saved.budget = opts.budget;
      changed = true;
    }
    if (opts.encoding !== undefined && isEncoding(opts.encoding) && opts.encoding !== engine.encoding) {
      await engine.setEncoding(opts.encoding);
      saved.encoding = opts.encoding;
      changed = true;
    }
    if (changed) {
      store.setKv(KV_CLI_SETTINGS, JSON.stringify(saved));
      await store.commit();
    }
    return engine;
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
