// The panel protocol and its host side, in Node: schemas accept what they declare and reject the rest with
// messages naming the field; the router answers malformed requests with an error response and never
// throws; the controller waits for `ready`, debounces engine changes, and maps engine errors. Real engine.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { contentSecurityPolicy, panelHtml } from '../../src/host/panel/html';
import { MessageRouter } from '../../src/host/panel/router';
import { PanelController, CROSS_PROJECT_UNAVAILABLE } from '../../src/host/panel/controller';
import { localEngineApi } from '../../src/protocol/engineApi';
import {
  envelopeError,
  PinRequest,
  SearchStashRequest,
  StateNotification,
  WorkingSetNotification,
  type HostMessage,
} from '../../src/protocol/webview';
import { memoryEngine, words } from '../engine/helpers';

function logSink() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) } };
}

test('schemas accept declared params and name the first bad field otherwise', () => {
  assert.equal(PinRequest.params({ ids: [1, 2] }, 'params'), null);
  assert.equal(PinRequest.params({ ids: [] }, 'params'), 'params.ids: expected at least 1 item');
  assert.equal(PinRequest.params({ ids: [1, -2] }, 'params'), 'params.ids[1]: expected an integer >= 1, got -2');
  assert.equal(PinRequest.params({ ids: [1], extra: true }, 'params'), 'params: unexpected key "extra"');
  assert.equal(PinRequest.params(null, 'params'), 'params: expected an object, got null');
  assert.equal(SearchStashRequest.params({ query: 'x', crossProject: false, limit: 501 }, 'params'), 'params.limit: expected an integer >= 1 <= 500, got 501');
  assert.equal(SearchStashRequest.params({ query: 'x', crossProject: false, limit: 10, types: ['code', 'poem'] }, 'params'), 'params.types[1]: expected one of "message", "code", "log", "note", "decision", "summary", got "poem"');
  assert.equal(StateNotification.params({ status: { kind: 'broken' }, usage: null, tasks: null, undo: { available: false, segments: 0, tokens: 0 }, crossProject: false }, 'p'), 'p.status.kind: expected one of "loading", "ready", "error", got "broken"');
  assert.equal(PinRequest.is({ kind: 'request', id: 1, method: 'segments/pin', params: {} }), true);
  assert.equal(PinRequest.is({ kind: 'command', method: 'segments/pin' }), false);
  assert.equal(envelopeError('hello', ['request']), 'message: expected an object');
  assert.equal(envelopeError({ kind: 'response', id: 1, ok: false, error: { reason: 7 } }, ['response']), 'message.error.reason: expected a string, got 7');
});

test('the router answers malformed and failing requests with error responses, and never throws', async () => {
  const { lines, log } = logSink();
  const router = new MessageRouter(log).onRequest(PinRequest, async ({ ids }) => {
    throw Object.assign(new Error(`Segment ${ids[0]} is gone.`), { reason: 'not_found' });
  });
  assert.deepEqual(await router.handle({ kind: 'request', id: 3, method: 'segments/pin', params: { ids: 'all' } }), {
    kind: 'response',
    id: 3,
    ok: false,
    error: { reason: 'invalid_message', message: 'Rejected a malformed message: segments/pin: params.ids: expected an array, got "all"' },
  });
  assert.deepEqual(await router.handle({ kind: 'request', id: 4, method: 'segments/explode', params: {} }), {
    kind: 'response',
    id: 4,
    ok: false,
    error: { reason: 'invalid_message', message: 'Rejected a malformed message: message.method: unknown request "segments/explode"' },
  });
  assert.deepEqual(await router.handle({ kind: 'request', id: 5, method: 'segments/pin', params: { ids: [9] } }), {
    kind: 'response',
    id: 5,
    ok: false,
    error: { reason: 'not_found', message: 'Segment 9 is gone.' },
  });
  assert.equal(await router.handle(42), null);
  assert.equal(await router.handle({ kind: 'request', id: -1, method: 'x' }), null);
  assert.deepEqual(lines, [
    'warn Context GC panel: rejected a malformed message from the webview: segments/pin: params.ids: expected an array, got "all"',
    'warn Context GC panel: rejected a malformed message from the webview: message.method: unknown request "segments/explode"',
    'warn Context GC panel: segments/pin failed: Segment 9 is gone.',
    'warn Context GC panel: rejected a malformed message from the webview: message: expected an object',
    'warn Context GC panel: rejected a malformed message from the webview: message.id: expected a positive integer',
  ]);
});

test('the controller pushes nothing before ready, then state and rows; bursts of changes are debounced', async () => {
  const { engine } = await memoryEngine({ settings: { budget: 1000 } });
  await engine.add({ type: 'note', text: words(100), filePath: 'a.ts', lineStart: 1, lineEnd: 2 });
  const posted: HostMessage[] = [];
  const { log } = logSink();
  const c = new PanelController({
    engine: localEngineApi(engine),
    onDidChange: (l) => engine.onDidChange(l),
    io: { post: (m) => posted.push(m), openFile: async () => true, copy: async () => undefined, log },
    debounceMs: 30,
    maxWaitMs: 500,
  });
  await engine.add({ type: 'note', text: words(50) });
  await c.settled();
  assert.equal(posted.length, 0, 'nothing is pushed before the webview says ready');
  await c.receive({ kind: 'command', method: 'ready', params: { protocol: 1 } });
  await c.settled();
  assert.deepEqual(posted.map((m) => (m as { method: string }).method), ['state', 'state', 'workingSet']);
  const first = posted[0] as { params: { status: unknown } };
  assert.deepEqual(first.params.status, { kind: 'loading', message: 'Opening the context store…' });
  const state = posted[1] as { params: { status: unknown; usage: { workingTokens: number; percent: number } } };
  assert.deepEqual(state.params.status, { kind: 'ready' });
  assert.equal(state.params.usage.workingTokens, 150);
  assert.equal(state.params.usage.percent, 15);
  assert.equal(StateNotification.params(state.params, 'p'), null);
  assert.equal(WorkingSetNotification.params((posted[2] as { params: unknown }).params, 'p'), null);
  const rows = (posted[2] as { params: { rows: { id: number; file: string | null }[] } }).params.rows;
  assert.deepEqual(rows.map((r) => [r.id, r.file]), [[2, null], [1, 'a.ts']]);

  posted.length = 0;
  const pushesBefore = c.pushes;
  for (let i = 0; i < 40; i++) await engine.add({ type: 'message', text: `burst ${i}` });
  await c.settled();
  assert.ok(c.pushes - pushesBefore <= 2, `40 changes in a burst made ${c.pushes - pushesBefore} pushes`);
  const deltas = posted.filter((m) => (m as { method: string }).method === 'workingSet') as unknown as { params: { mode: string; rows: { id: number }[]; removed: number[]; total: number } }[];
  assert.equal(deltas.at(-1)!.params.total, 42);
  // Only the 40 new rows travel, as deltas, not the whole working set again.
  assert.deepEqual(deltas.map((d) => d.params.mode), deltas.map(() => 'delta'));
  assert.deepEqual(deltas.flatMap((d) => d.params.rows.map((r) => r.id)), Array.from({ length: 40 }, (_, i) => i + 3));

  // A stash travels as a removal.
  posted.length = 0;
  await engine.stash([1]);
  await c.settled();
  const stashDelta = posted.find((m) => (m as { method: string }).method === 'workingSet') as unknown as { params: unknown };
  assert.deepEqual(stashDelta.params, { mode: 'delta', now: (stashDelta.params as { now: number }).now, rows: [], removed: [1], total: 41, truncated: false });

  // Hidden: no pushes until ready again.
  c.detach();
  posted.length = 0;
  await engine.add({ type: 'message', text: 'while hidden' });
  await c.settled();
  assert.equal(posted.length, 0);
  c.dispose();
  await engine.close();
});

test('cross-project search answers "not available" when the host has no cross-project search', async () => {
  const { engine } = await memoryEngine();
  const posted: HostMessage[] = [];
  const { log } = logSink();
  const c = new PanelController({ engine: localEngineApi(engine), onDidChange: (l) => engine.onDidChange(l), io: { post: (m) => posted.push(m), openFile: async () => true, copy: async () => undefined, log } });
  await c.receive({ kind: 'request', id: 1, method: 'stash/search', params: { query: 'token', crossProject: true, limit: 20 } });
  assert.deepEqual(posted, [{ kind: 'response', id: 1, ok: true, result: { status: 'unavailable', query: 'token', message: CROSS_PROJECT_UNAVAILABLE } }]);
  c.dispose();
  await engine.close();
});

test('the HTML shell carries a strict CSP with the nonce and loads only the given URIs', () => {
  const html = panelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abcdefghijklmnopqrstuv==', scriptUri: 'https://x/webview.js', styleUri: 'https://x/panel.css', codiconUri: 'https://x/codicon.css' });
  assert.equal(
    contentSecurityPolicy('https://x.vscode-cdn.net', 'N0nce'),
    "default-src 'none'; img-src https://x.vscode-cdn.net data:; font-src https://x.vscode-cdn.net; style-src https://x.vscode-cdn.net; script-src 'nonce-N0nce'",
  );
  assert.ok(html.includes(`content="default-src 'none'; img-src https://x.vscode-cdn.net data:; font-src https://x.vscode-cdn.net; style-src https://x.vscode-cdn.net; script-src 'nonce-abcdefghijklmnopqrstuv=='"`));
  assert.ok(html.includes('<script nonce="abcdefghijklmnopqrstuv==" src="https://x/webview.js"></script>'));
  assert.deepEqual(html.match(/<script/g)?.length, 1);
  assert.throws(() => panelHtml({ cspSource: 'x', nonce: 'short', scriptUri: '', styleUri: '', codiconUri: '' }), /nonce must be at least 16 base64 characters/);
});
