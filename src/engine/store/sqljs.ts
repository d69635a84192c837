// Loads sql.js (WASM SQLite) once per thread and finds its .wasm file. Two layouts exist: a bundle
// (dist/extension.js, dist/cli.js, ... with dist/sql-wasm.wasm beside it, copied by esbuild.mjs) and
// source run through tsx (node_modules/sql.js/dist/sql-wasm.wasm up the tree). Callers may also name
// the file outright (`wasmPath`) or give sql.js's own `locateFile`.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { ContextGcError } from '../model';

export type { Database, SqlJsStatic, Statement, SqlValue } from 'sql.js';

export interface WasmOptions {
  /** Full path of sql-wasm.wasm. */
  wasmPath?: string;
  /** sql.js's hook: maps a file name ('sql-wasm.wasm') to where it is. Used when wasmPath is not given. */
  locateFile?: (file: string) => string;
}

const WASM = 'sql-wasm.wasm';

/** Where sql-wasm.wasm is: beside this module (bundle), else in the nearest node_modules/sql.js/dist. */
export function defaultWasmPath(from: string = __dirname): string {
  const beside = path.join(from, WASM);
  if (existsSync(beside)) return beside;
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', 'sql.js', 'dist', WASM);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new ContextGcError('io_error', `Cannot find ${WASM} next to ${from} or in any node_modules/sql.js/dist above it. ` +
    'Reinstall the extension, or pass wasmPath to the store.');
}

export function resolveWasmPath(opts: WasmOptions = {}): string {
  if (opts.wasmPath) return opts.wasmPath;
  if (opts.locateFile) return opts.locateFile(WASM);
  return defaultWasmPath();
}

let loading: Promise<SqlJsStatic> | undefined;
let loadedFrom: string | undefined;

/** The sql.js module of this thread. sql.js itself keeps one module per thread, so the first wasm path wins. */
export function loadSqlJs(opts: WasmOptions = {}): Promise<SqlJsStatic> {
  if (!loading) {
    const file = resolveWasmPath(opts);
    loadedFrom = file;
    loading = initSqlJs({ locateFile: () => file }).catch((err: unknown) => {
      loading = undefined;
      throw new ContextGcError('io_error', `Cannot load SQLite (sql.js) from ${file}: ${String(err)}`);
    });
  }
  return loading;
}

/** The wasm file this thread loaded sql.js from (workers load the same one). */
export function loadedWasmPath(): string | undefined {
  return loadedFrom;
}
