// context-gc: the command-line tool over the same engine facade the extension drives.
// Every command prints a short human answer, or JSON with --json. Bad arguments print one line and the
// usage, exit code 2; engine errors print their message, exit code 1.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ContextGcError, isEncoding, isSegmentType, isTier, SEGMENT_TYPES, type NewSegment } from '../engine/model';
import type { ContextEngine } from '../engine/engine';
import { DEFAULT_EXCLUDES, ingestFile, isExcludedPath } from '../engine/ingest';
import { formatAge } from '../engine/gc/gc';
import { DEFAULT_LIMITS, validateNewSegment } from '../engine/validate';
import { openCliEngine } from './open';
import { formatPlan, formatUsage, formatChange, formatSearch, formatTask } from './format';

export const USAGE = `Usage: context-gc <command> [options]

Commands:
  add [TEXT|-] --type T [--task ID] [--file PATH] [--lines A-B] [--tag X]... [--pin] [--stashed]
  ingest PATH... [--task ID] [--tag X]... [--max-file-bytes N]
  status
  gc [--target N | --percent P] [--apply] [--delete --yes] [--no-reachable]
  stash ID...        restore ID...        pin ID...        unpin ID...
  delete ID... --yes
  show ID
  list [--tier working|stashed] [--task ID] [--file PATH] [--type T] [--sort recent|tokens] [--limit N]
  task set ID [--title TEXT] [--keep-previous] | task show [ID] | task snapshot [ID] | task list
  search QUERY [--limit N] [--max-tokens N] [--file P] [--file-prefix P] [--task ID] [--tag X]... [--type T] [--tier T]
  bench [--sizes 10000,100000]

Options:
  --store DIR        store directory (default .context-gc in the current folder)
  --budget N         token budget (remembered in the store)
  --encoding E       o200k_base (default) or cl100k_base (remembered; recounts when changed)
  --json             machine-readable output
  -h, --help         this text`;

export class UsageError extends Error {}

const OPTIONS = {
  store: { type: 'string' },
  budget: { type: 'string' },
  encoding: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  type: { type: 'string' },
  task: { type: 'string' },
  file: { type: 'string' },
  'file-prefix': { type: 'string' },
  lines: { type: 'string' },
  tag: { type: 'string', multiple: true },
  pin: { type: 'boolean' },
  stashed: { type: 'boolean' },
  target: { type: 'string' },
  percent: { type: 'string' },
  apply: { type: 'boolean' },
  delete: { type: 'boolean' },
  yes: { type: 'boolean' },
  'no-reachable': { type: 'boolean' },
  title: { type: 'string' },
  'keep-previous': { type: 'boolean' },
  limit: { type: 'string' },
  'max-tokens': { type: 'string' },
  'max-file-bytes': { type: 'string' },
  tier: { type: 'string' },
  sort: { type: 'string' },
  sizes: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const opt = /'(-[^']*)'/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && opt) throw new UsageError(`unknown option ${opt}`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && opt) throw new UsageError(`${opt.split(' ')[0]} needs a value`);
    throw new UsageError(e.message.split('\n')[0]);
  }
}

function int(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${v}"`);
  return n;
}

function ids(args: string[], cmd: string): number[] {
  if (args.length === 0) throw new UsageError(`${cmd} needs at least one segment id`);
  return args.flatMap((a) => a.split(',')).filter(Boolean).map((a) => {
    const n = Number(a.replace(/^#/, ''));
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${a}" is not a segment id`);
    return n;
  });
}

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  readStdin: () => string;
  cwd: string;
}

const nodeIO: CliIO = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
  readStdin: () => fs.readFileSync(0, 'utf8'),
  cwd: process.cwd(),
};

/** Runs one command line; returns the exit code. */
export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  let engine: ContextEngine | undefined;
  try {
    const { values, positionals } = parse(argv);
    if (values.help || positionals.length === 0) {
      io.out(USAGE);
      return positionals.length === 0 && !values.help ? 2 : 0;
    }
    const [cmd, ...args] = positionals;
    if (cmd === 'bench') return bench(values.sizes, io);
    if (!COMMANDS.has(cmd)) throw new UsageError(`unknown command "${cmd}"`);
    if (values.encoding !== undefined && !isEncoding(values.encoding)) throw new UsageError(`--encoding must be o200k_base or cl100k_base, got "${values.encoding}"`);
    const budget = int(values.budget, '--budget', 1);
    engine = await openCliEngine(path.resolve(io.cwd, values.store ?? '.context-gc'), { budget, encoding: values.encoding, onWarning: (w) => io.err(`context-gc: warning: ${w}`) });
    const result = await run(engine, cmd, args, values, io);
    io.out(values.json ? JSON.stringify(result.json, null, 2) : result.text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`context-gc: ${err.message}`);
      io.err(USAGE);
      return 2;
    }
    if (ContextGcError.is(err)) {
      io.err(`context-gc: ${err.message}${err.reason === 'confirm_required' ? ' (CLI: add --yes)' : ''}`);
      return 1;
    }
    io.err(`context-gc: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    await engine?.close();
  }
}

const COMMANDS = new Set(['add', 'ingest', 'status', 'gc', 'stash', 'restore', 'pin', 'unpin', 'delete', 'show', 'list', 'task', 'search']);

interface Answer {
  text: string;
  json: unknown;
}

async function run(engine: ContextEngine, cmd: string, args: string[], v: Values, io: CliIO): Promise<Answer> {
  switch (cmd) {
    case 'add': {
      if (!v.type) throw new UsageError(`add needs --type (${SEGMENT_TYPES.join(', ')})`);
      if (!isSegmentType(v.type)) throw new UsageError(`--type must be one of ${SEGMENT_TYPES.join(', ')}, got "${v.type}"`);
      if (args.length > 1) throw new UsageError('add takes one TEXT argument (quote it), or - to read standard input');
      const text = args.length === 0 || args[0] === '-' ? io.readStdin() : args[0];
      const seg: NewSegment = { type: v.type, text, taskId: v.task, filePath: v.file, tags: v.tag, pinned: v.pin, tier: v.stashed ? 'stashed' : 'working', source: 'user' };
      if (v.lines !== undefined) {
        const m = /^(\d+)(?:-(\d+))?$/.exec(v.lines);
        if (!m) throw new UsageError(`--lines must look like 10 or 10-20, got "${v.lines}"`);
        seg.lineStart = Number(m[1]);
        seg.lineEnd = m[2] === undefined ? Number(m[1]) : Number(m[2]);
      }
      const meta = await engine.add(seg);
      const t = engine.totals();
      return { text: `Added #${meta.id} (${meta.type}, ${meta.tokens} tokens). Working set: ${t.workingTokens} tokens (${t.percent}%).`, json: { segment: meta, totals: t } };
    }
    case 'ingest':
      return ingest(engine, args, v, io);
    case 'status': {
      const u = engine.usage();
      return { text: formatUsage(u, engine.encoding), json: u };
    }
    case 'gc': {
      if (v.target !== undefined && v.percent !== undefined) throw new UsageError('give --target or --percent, not both');
      if (v.delete && !v.apply) throw new UsageError('--delete goes with --apply');
      const percent = v.percent === undefined ? undefined : Number(v.percent);
      if (percent !== undefined && !(percent >= 0 && percent <= 100)) throw new UsageError(`--percent must be between 0 and 100, got "${v.percent}"`);
      const plan = engine.planGc({ targetTokens: int(v.target, '--target'), targetPercent: percent, includeReachable: !v['no-reachable'] });
      if (!v.apply) return { text: formatPlan(plan) + (plan.candidates.length ? '\nRun again with --apply to stash these.' : ''), json: { plan } };
      if (plan.candidates.length === 0) return { text: formatPlan(plan), json: { plan, applied: null } };
      const applied = await engine.applyGc({ ids: plan.candidates.map((c) => c.id), mode: v.delete ? 'delete' : 'stash', confirm: v.yes === true });
      return { text: formatPlan(plan) + '\n' + formatChange(applied), json: { plan, applied } };
    }
    case 'stash':
    case 'restore':
    case 'pin':
    case 'unpin': {
      const r = await engine[cmd](ids(args, cmd));
      return { text: formatChange(r), json: r };
    }
    case 'delete': {
      const r = await engine.delete(ids(args, cmd), { confirm: v.yes === true });
      return { text: formatChange(r), json: r };
    }
    case 'show': {
      const [id] = ids(args.slice(0, 1), 'show');
      const s = engine.get(id);
      const where = s.filePath ? ` ${s.filePath}${s.lineStart ? `:${s.lineStart}-${s.lineEnd}` : ''}` : '';
      return { text: `#${s.id} ${s.type} [${s.tier}${s.pinned ? ', pinned' : ''}] ${s.tokens} tokens${where}${s.taskId ? ` task ${s.taskId}` : ''}${s.tags.length ? ` tags ${s.tags.join(',')}` : ''}\n${s.text}`, json: s };
    }
    case 'list': {
      if (v.tier !== undefined && !isTier(v.tier)) throw new UsageError(`--tier must be working or stashed, got "${v.tier}"`);
      if (v.type !== undefined && !isSegmentType(v.type)) throw new UsageError(`--type must be one of ${SEGMENT_TYPES.join(', ')}`);
      if (v.sort !== undefined && !['recent', 'tokens', 'id'].includes(v.sort)) throw new UsageError(`--sort must be recent, tokens or id`);
      const list = engine.list({ tier: v.tier as never, taskId: v.task, filePath: v.file, type: v.type as never, sort: v.sort as never, limit: int(v.limit, '--limit', 1) ?? 50 });
      const now = Date.now();
      return {
        text: list.length === 0 ? 'No segments.' : list.map((m) => `#${m.id}\t${m.type}\t${m.tier}${m.pinned ? '*' : ''}\t${m.tokens}\t${formatAge(now - m.touchedAt)}\t${m.filePath ?? ''}\t${m.title}`).join('\n'),
        json: list,
      };
    }
    case 'task':
      return task(engine, args, v);
    case 'search': {
      if (args.length === 0) throw new UsageError('search needs a QUERY');
      if (v.type !== undefined && !isSegmentType(v.type)) throw new UsageError(`--type must be one of ${SEGMENT_TYPES.join(', ')}`);
      if (v.tier !== undefined && !isTier(v.tier)) throw new UsageError(`--tier must be working or stashed, got "${v.tier}"`);
      await engine.whenSearchReady();
      const res = engine.search({
        query: args.join(' '),
        limit: int(v.limit, '--limit', 1) ?? 10,
        maxTokens: int(v['max-tokens'], '--max-tokens', 1),
        filePath: v.file,
        filePathPrefix: v['file-prefix'],
        taskId: v.task,
        tagsAny: v.tag,
        types: v.type ? [v.type as never] : undefined,
        tier: v.tier as never,
      });
      return { text: formatSearch(res), json: res };
    }
  }
  throw new UsageError(`unknown command "${cmd}"`);
}

async function task(engine: ContextEngine, args: string[], v: Values): Promise<Answer> {
  const [sub, id] = args;
  switch (sub) {
    case 'set': {
      if (!id) throw new UsageError('task set needs an ID');
      const r = await engine.setCurrentTask(id, { title: v.title, stashPrevious: !v['keep-previous'] });
      const moved = [r.stashed.length ? `stashed ${r.stashed.length} segments of ${r.previous}` : '', r.restored.length ? `restored ${r.restored.length} segments of ${id}` : ''].filter(Boolean).join('; ');
      return { text: `Current task: ${id}${r.previous && r.previous !== id ? ` (was ${r.previous})` : ''}.${moved ? ' ' + moved[0].toUpperCase() + moved.slice(1) + '.' : ''} Working set: ${r.workingTokens} tokens (${r.percent}%).`, json: r };
    }
    case 'show': {
      const ctx = engine.taskContext(id ?? engine.currentTask);
      return { text: formatTask(ctx), json: ctx };
    }
    case 'snapshot': {
      const meta = await engine.snapshotTask(id ?? engine.currentTask);
      return { text: `Snapshot #${meta.id} of task ${meta.taskId}: ${meta.tokens} tokens, references ${meta.refs.length} segments.`, json: meta };
    }
    case 'list': {
      const tasks = engine.listTasks();
      return { text: tasks.length ? tasks.map((t) => `${t.id === engine.currentTask ? '*' : ' '} ${t.id}${t.title !== t.id ? `\t${t.title}` : ''}`).join('\n') : 'No tasks.', json: tasks };
    }
  }
  throw new UsageError(`task needs set, show, snapshot or list${sub ? `, got "${sub}"` : ''}`);
}

async function ingest(engine: ContextEngine, args: string[], v: Values, io: CliIO): Promise<Answer> {
  if (args.length === 0) throw new UsageError('ingest needs at least one PATH');
  const maxFileBytes = int(v['max-file-bytes'], '--max-file-bytes', 1);
  const added: number[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let tokens = 0;
  let files = 0;
  let truncated = 0;
  for (const arg of args) {
    const abs = path.resolve(io.cwd, arg);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new ContextGcError('not_found', `No file or folder at ${arg}.`);
    }
    const root = st.isDirectory() ? abs : path.dirname(abs);
    const batch: NewSegment[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const metas = await engine.addMany(batch.splice(0));
      for (const m of metas) {
        added.push(m.id);
        tokens += m.tokens;
      }
    };
    for (const file of st.isDirectory() ? walk(abs) : [abs]) {
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (st.isDirectory() && isExcludedPath(rel, DEFAULT_EXCLUDES)) continue;
      const size = fs.statSync(file).size;
      const cap = maxFileBytes ?? 1024 * 1024;
      const fd = fs.openSync(file, 'r');
      const bytes = Buffer.alloc(Math.min(size, cap + 1));
      try {
        fs.readSync(fd, bytes, 0, bytes.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      // At most cap+1 bytes are read; the splitter is told the real size.
      const decision = ingestFile(rel, bytes, { maxFileBytes: cap, totalBytes: size, taskId: v.task ?? null, tags: v.tag });
      if (decision.kind === 'skipped') {
        skipped.push({ path: rel, reason: decision.reason });
        continue;
      }
      files++;
      if (decision.truncated) truncated++;
      for (const s of decision.segments) {
        try {
          validateNewSegment(s, DEFAULT_LIMITS, () => true);
          batch.push(s);
        } catch (err) {
          if (!ContextGcError.is(err)) throw err;
          skipped.push({ path: rel, reason: err.message });
        }
      }
      if (batch.length >= 500) await flush();
    }
    await flush();
  }
  const t = engine.totals();
  const text = `Ingested ${files} files as ${added.length} segments (${tokens.toLocaleString('en-US')} tokens)${truncated ? `, ${truncated} truncated` : ''}${skipped.length ? `, skipped ${skipped.length}: ${skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`).join(', ')}${skipped.length > 5 ? ', …' : ''}` : ''}. Working set: ${t.workingTokens.toLocaleString('en-US')} tokens (${t.percent}%).`;
  return { text, json: { files, segments: added.length, tokens, truncated, skipped, totals: t, firstId: added[0] ?? null, lastId: added[added.length - 1] ?? null } };
}

/** Runs the benchmarks of the source checkout this CLI was built from (they are not shipped in the bundle). */
function bench(sizes: string | undefined, io: CliIO): number {
  if (sizes !== undefined && !/^\d+(,\d+)*$/.test(sizes)) throw new UsageError(`--sizes must be a comma-separated list of counts, got "${sizes}"`);
  const root = [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((d) => fs.existsSync(path.join(d, 'bench/run.ts')));
  if (!root) {
    io.err('context-gc: the benchmarks ship with the source checkout; run `npm run bench` there.');
    return 1;
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return spawnSync(npm, ['run', 'bench', '--', ...(sizes ? ['--sizes', sizes] : [])], { cwd: root, stdio: 'inherit' }).status ?? 1;
}

function* walk(dir: string): Generator<string> {
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!DEFAULT_EXCLUDES.includes(e.name)) yield* walk(p);
    } else if (e.isFile()) yield p;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
