// The engine as the layers above it see it: every public method of ContextEngine, returning a promise.
// The extension host talks to an engine living in a worker thread through this shape; the MCP server,
// the Language Model Tools and the webview provider are written against it, so they work the same with
// an in-process engine (CLI, tests) or a remote one (worker thread, another process's socket).

import type { ContextEngine } from '../engine/engine';

/** Method names the RPC layer forwards. Keep in step with ContextEngine's public methods. */
export const ENGINE_METHODS = [
  'add', 'addMany', 'updateText', 'touch', 'setTags', 'stash', 'restore', 'pin', 'unpin', 'delete',
  'get', 'getMeta', 'metas', 'list', 'has',
  'usage', 'totals', 'planGc', 'applyGc', 'undoLastGc', 'lastGc',
  'listTasks', 'setCurrentTask', 'taskContext', 'snapshotTask', 'restoreSnapshot',
  'search', 'configure', 'setActiveFiles', 'setEncoding', 'info',
] as const satisfies readonly (keyof ContextEngine)[];

export type EngineMethod = (typeof ENGINE_METHODS)[number];

type Fn = (...args: never[]) => unknown;
export type EngineApi = {
  [K in EngineMethod]: ContextEngine[K] extends Fn ? (...args: Parameters<ContextEngine[K]>) => Promise<Awaited<ReturnType<ContextEngine[K]>>> : never;
};

/** Wraps an in-process engine in the async shape (CLI, tests, MCP server owning the store). */
export function localEngineApi(engine: ContextEngine): EngineApi {
  const api = {} as Record<EngineMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const m of ENGINE_METHODS) {
    api[m] = async (...args: unknown[]) => (engine[m] as (...a: unknown[]) => unknown).apply(engine, args);
  }
  return api as unknown as EngineApi;
}
