// A small, realistic project for the agent-tool tests: a login bug being fixed, with messages, code,
// logs, a decision and notes, over the real durable store (sql.js on disk) and the real search index.

import * as path from 'node:path';
import { ContextEngine } from '../../src/engine/engine';
import { openSqliteStore } from '../../src/engine/store/sqlite';
import { localEngineApi, type EngineApi } from '../../src/protocol/engineApi';
import type { NewSegment } from '../../src/engine/model';
import { HOUR, TestClock, words } from './helpers';
import { tempDir } from './storeHelpers';

export interface ToolWorld {
  engine: ContextEngine;
  api: EngineApi;
  clock: TestClock;
  dir: string;
  close(): Promise<void>;
}

export async function openWorld(budget = 5000, dir = tempDir('tools')): Promise<ToolWorld> {
  const store = await openSqliteStore(dir, { purpose: 'tools test', backgroundSnapshots: false });
  const clock = new TestClock();
  const engine = await ContextEngine.open({ store, clock, project: 'demo', settings: { budget }, searchDir: path.join(dir, 'search') });
  return { engine, api: localEngineApi(engine), clock, dir, close: () => engine.close() };
}

/** Segments 1-8; the current task is fix-login; segments 1-3 are 5 h old, the rest 1 h. */
export const CORPUS: NewSegment[] = [
  { type: 'log', text: `webpack 5 build output\n${words(120, 'chunk')}`, tags: ['build'], source: 'agent' },
  { type: 'message', text: 'Can you also check why the dashboard chart flickers?', source: 'chat' },
  { type: 'code', text: 'export function renderChart(data: Point[]) {\n  return draw(data);\n}', filePath: 'src/ui/chart.ts', lineStart: 1, lineEnd: 3, source: 'editor' },
  { type: 'message', text: 'Fix the login redirect loop after the OAuth callback.', taskId: 'fix-login', source: 'chat' },
  {
    type: 'code',
    text: 'export function handleCallback(req: Request) {\n  const session = readSession(req);\n  if (!session) return redirect("/login");\n  return redirect(req.query.next);\n}',
    filePath: 'src/auth/callback.ts',
    lineStart: 10,
    lineEnd: 14,
    taskId: 'fix-login',
    source: 'editor',
  },
  { type: 'log', text: `npm test: 42 passing, 3 failing\n${words(60, 'AssertionError: expected redirect')}`, taskId: 'fix-login', tags: ['ci'], source: 'agent' },
  { type: 'decision', text: 'Decided: set the session cookie before redirecting, not after.', taskId: 'fix-login', source: 'agent' },
  { type: 'note', text: 'The redirect loop comes from the auth middleware re-reading an empty session.', taskId: 'fix-login', tags: ['auth'], source: 'agent' },
];

export async function seed(w: ToolWorld): Promise<void> {
  await w.engine.addMany(CORPUS.slice(0, 3));
  w.clock.advance(4 * HOUR);
  await w.engine.setCurrentTask('fix-login', { title: 'Fix the login redirect loop' });
  await w.engine.addMany(CORPUS.slice(3));
  w.clock.advance(HOUR);
  await w.engine.whenSearchReady();
}

/** `count` short notes tagged `bulk` (for confirmation thresholds). */
export async function addBulk(w: ToolWorld, count: number, tag = 'bulk'): Promise<number[]> {
  const metas = await w.engine.addMany(Array.from({ length: count }, (_, i) => ({ type: 'note' as const, text: `bulk note number ${i + 1}`, tags: [tag] })));
  return metas.map((m) => m.id);
}
