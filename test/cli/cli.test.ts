import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main, type CliIO } from '../../src/cli/main';
import { tiktokenCount } from '../engine/helpers';
import { tempDir } from '../engine/storeHelpers';

function sandbox() {
  const cwd = tempDir('cli');
  let stdin = '';
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { out: (s) => out.push(s), err: (s) => err.push(s), readStdin: () => stdin, cwd };
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  return { cwd, run, setStdin: (s: string) => (stdin = s) };
}

test('add, status, stash, restore, pin and delete through the CLI on a real store', async () => {
  const { run } = sandbox();
  const text = 'We decided to use JWT tokens for auth';
  const n = tiktokenCount(text);
  let r = await run('add', text, '--type', 'decision', '--task', 'auth');
  assert.deepEqual([r.code, r.out], [0, `Added #1 (decision, ${n} tokens). Working set: ${n} tokens (0%).`]);
  r = await run('add', 'w w w w w', '--type', 'log', '--budget', '100');
  assert.equal(r.out, `Added #2 (log, 5 tokens). Working set: ${n + 5} tokens (${Math.round(((n + 5) / 100) * 1000) / 10}%).`);
  r = await run('stash', '2');
  assert.equal(r.out, `Stashed #2 (-5 tokens). Working set: ${n} tokens (${n}%).`, 'the budget given once is remembered');
  r = await run('restore', '#2');
  assert.equal(r.out, `Restored #2 (+5 tokens). Working set: ${n + 5} tokens (${n + 5}%).`);
  r = await run('pin', '1');
  assert.equal(r.out, `Pinned #1. Working set: ${n + 5} tokens (${n + 5}%).`);
  r = await run('delete', '1', '--yes');
  assert.deepEqual([r.code, r.err], [1, 'context-gc: Segment 1 is pinned; unpin before deleting.']);
  r = await run('delete', '2');
  assert.deepEqual([r.code, r.err], [1, 'context-gc: Deleting 1 segment cannot be undone; pass confirm to delete, or stash instead. (CLI: add --yes)']);
  r = await run('delete', '2', '--yes');
  assert.equal(r.out, `Deleted #2 (-5 tokens). Working set: ${n} tokens (${n}%).`);
  r = await run('status', '--json');
  const u = JSON.parse(r.out);
  assert.deepEqual([u.workingTokens, u.workingSegments, u.budget, u.pinnedSegments], [n, 1, 100, 1]);
});

test('add reads text from standard input with -', async () => {
  const { run, setStdin } = sandbox();
  setStdin('line one\nline two\n');
  const r = await run('add', '-', '--type', 'note', '--json');
  const j = JSON.parse(r.out);
  assert.deepEqual([j.segment.id, j.segment.title, j.segment.chars], [1, 'line one', 18]);
});

test('ingest splits markdown by heading and code by size, skips binary, truncates huge files, keeps relative paths', async () => {
  const { cwd, run } = sandbox();
  const root = path.join(cwd, 'proj');
  fs.mkdirSync(path.join(root, 'src'), { recursive: true });
  fs.mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true });
  fs.writeFileSync(path.join(root, 'README.md'), '# Title\nintro\n\n## Install\nnpm i\n\n## Use\nrun it\n');
  fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(root, 'src', 'img.bin'), Buffer.from([0x89, 0x50, 0x00, 0x01, 0x02]));
  fs.writeFileSync(path.join(root, 'big.log'), 'error line\n'.repeat(20));
  fs.writeFileSync(path.join(root, 'node_modules', 'x', 'index.js'), 'ignored');
  const r = await run('ingest', 'proj', '--max-file-bytes', '100', '--task', 't1', '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual([j.files, j.segments, j.truncated], [3, 6, 1]);
  assert.deepEqual(j.skipped, [{ path: 'src/img.bin', reason: 'binary file' }]);
  const list = JSON.parse((await run('list', '--json', '--limit', '10')).out) as { id: number; filePath: string; type: string; lineStart: number | null; title: string }[];
  assert.deepEqual(
    list.map((m) => [m.id, m.type, m.filePath, m.lineStart, m.title]),
    [
      [1, 'log', 'big.log', 1, 'error line'],
      [2, 'note', 'big.log', null, 'big.log was truncated: it is 220 bytes and only the first 100 were ingested.'],
      [3, 'note', 'README.md', 1, '# Title'],
      [4, 'note', 'README.md', 4, '## Install'],
      [5, 'note', 'README.md', 7, '## Use'],
      [6, 'code', 'src/a.ts', 1, 'export const a = 1;'],
    ],
  );
  assert.equal(JSON.parse((await run('show', '1', '--json')).out).text, 'error line\n'.repeat(9).trimEnd());
});

test('gc previews a plan, applies it with --apply, and search finds what was stashed', async () => {
  const { run } = sandbox();
  await run('add', 'timeout '.repeat(60).trim(), '--type', 'log', '--budget', '100');
  await run('add', 'the flux capacitor needs 1.21 gigawatts', '--type', 'note');
  let r = await run('gc');
  assert.match(r.out, /^GC plan: 1 segment free 60 tokens \(\d+ asked\), \d+(\.\d)?% -> \d+(\.\d)?%\.\n  #1\t60\tunreachable log, touched \d+ s ago, not referenced\nRun again with --apply to stash these\.$/);
  r = await run('gc', '--apply');
  assert.match(r.out, /\nCollected #1 \(-60 tokens\)\. Working set: \d+ tokens/);
  r = await run('search', 'flux gigawatts', '--json');
  const res = JSON.parse(r.out);
  assert.deepEqual(res.hits.map((h: { id: number }) => h.id), [2]);
  r = await run('search', 'timeout', '--tier', 'stashed', '--json');
  assert.deepEqual(JSON.parse(r.out).hits.map((h: { id: number; meta: { tier: string } }) => [h.id, h.meta.tier]), [[1, 'stashed']]);
});

test('tasks: set, show, snapshot and list', async () => {
  const { run } = sandbox();
  let r = await run('task', 'set', 'auth', '--title', 'Auth refactor');
  assert.equal(r.out, 'Current task: auth. Working set: 0 tokens (0%).');
  await run('add', 'Use JWT', '--type', 'decision');
  r = await run('task', 'snapshot');
  assert.match(r.out, /^Snapshot #2 of task auth: \d+ tokens, references 1 segments\.$/);
  r = await run('task', 'show');
  assert.match(r.out, /^Task auth — Auth refactor \(current\)\nWorking: \d+ tokens in 2 segments\. Stashed: 0 tokens in 0\.\nSnapshots: #2/);
  r = await run('task', 'list');
  assert.equal(r.out, '* auth\tAuth refactor');
});

test('bad arguments print one line and the usage, exit code 2', async () => {
  const { run } = sandbox();
  const cases: [string[], string][] = [
    [['frob'], 'context-gc: unknown command "frob"'],
    [['add', 'x'], 'context-gc: add needs --type (message, code, log, note, decision, summary)'],
    [['add', 'x', '--type', 'memo'], 'context-gc: --type must be one of message, code, log, note, decision, summary, got "memo"'],
    [['stash'], 'context-gc: stash needs at least one segment id'],
    [['stash', 'abc'], 'context-gc: "abc" is not a segment id'],
    [['gc', '--target=-4'], 'context-gc: --target must be a whole number, got "-4"'],
    [['gc', '--target', '5', '--percent', '50'], 'context-gc: give --target or --percent, not both'],
    [['status', '--budget', '0'], 'context-gc: --budget must be a whole number of at least 1, got "0"'],
    [['status', '--encoding', 'p50k'], 'context-gc: --encoding must be o200k_base or cl100k_base, got "p50k"'],
    [['status', '--bogus'], 'context-gc: unknown option --bogus'],
    [['add', 'x', '--type'], 'context-gc: --type needs a value'],
    [['task', 'fly'], 'context-gc: task needs set, show, snapshot or list, got "fly"'],
    [['add', 'x', '--type', 'code', '--lines', '3-x'], 'context-gc: --lines must look like 10 or 10-20, got "3-x"'],
  ];
  for (const [argv, first] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err.split('\n')[0], first);
    assert.equal(r.err.split('\n')[1], 'Usage: context-gc <command> [options]');
  }
});

test('engine errors exit 1 with the message, and the built binary behaves the same', async () => {
  const { cwd, run } = sandbox();
  const r = await run('show', '42');
  assert.deepEqual([r.code, r.err], [1, 'context-gc: No segment with id 42.']);
  const bin = path.resolve(__dirname, '../../dist/cli.js');
  if (!fs.existsSync(bin)) assert.fail('dist/cli.js is missing: run npm run build first (npm test does)');
  const p = spawnSync(process.execPath, [bin, 'show', '42'], { cwd, encoding: 'utf8' });
  assert.deepEqual([p.status, p.stderr.trim()], [1, 'context-gc: No segment with id 42.']);
  const q = spawnSync(process.execPath, [bin], { cwd, encoding: 'utf8' });
  assert.equal(q.status, 2);
  assert.match(q.stdout, /^Usage: context-gc <command>/);
});
