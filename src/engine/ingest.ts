// Turning files into segments: markdown by headings, code and other text by size at line boundaries.
// Pure: the caller reads the bytes (and decides which files to visit); this module decides what a
// file's bytes become. Binary content is refused, huge content is truncated with a note.

import type { NewSegment, SegmentType } from './model';

export interface IngestOptions {
  /** Largest chunk, in characters (about 4 characters a token): default 6,000. */
  maxChunkChars?: number;
  /** Bytes of one file read at most; the rest is left out with a note. Default 1 MiB. */
  maxFileBytes?: number;
  taskId?: string | null;
  tags?: string[];
  source?: NewSegment['source'];
  /** The file's real size when only its first bytes were read (a huge file is never read whole). */
  totalBytes?: number;
}

export type IngestDecision =
  | { kind: 'segments'; segments: NewSegment[]; truncated: boolean }
  | { kind: 'skipped'; reason: string };

const CODE_EXT = new Set([
  'ts', 'tsx', 'js', 'jsx', 'mjs', 'cjs', 'py', 'rs', 'go', 'java', 'kt', 'c', 'h', 'cc', 'cpp', 'hpp', 'cs', 'rb', 'php',
  'swift', 'scala', 'sh', 'bash', 'zsh', 'sql', 'css', 'scss', 'less', 'html', 'vue', 'svelte', 'json', 'yaml', 'yml', 'toml', 'xml', 'lua', 'dart', 'r', 'm', 'zig',
]);
const MARKDOWN_EXT = new Set(['md', 'markdown', 'mdx']);
const LOG_EXT = new Set(['log', 'out', 'err']);

export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function typeForPath(path: string): SegmentType {
  const ext = extensionOf(path);
  if (CODE_EXT.has(ext)) return 'code';
  if (LOG_EXT.has(ext)) return 'log';
  return 'note';
}

/** True when the bytes look binary: a NUL byte, or mostly control characters, in the first 8 KiB. */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return true;
    if (b < 7 || (b > 13 && b < 32 && b !== 27)) control++;
  }
  return n > 0 && control / n > 0.1;
}

/** Decides what one file becomes. `relPath` is relative to the ingest root, with forward slashes. */
export function ingestFile(relPath: string, bytes: Uint8Array, opts: IngestOptions = {}): IngestDecision {
  const maxBytes = opts.maxFileBytes ?? 1024 * 1024;
  if (looksBinary(bytes)) return { kind: 'skipped', reason: 'binary file' };
  const totalBytes = Math.max(opts.totalBytes ?? 0, bytes.length);
  const truncated = totalBytes > maxBytes;
  let text = new TextDecoder('utf-8', { fatal: false }).decode(truncated ? bytes.subarray(0, maxBytes) : bytes);
  if (truncated) {
    // Cut at the last full line so no line is half kept.
    const cut = text.lastIndexOf('\n');
    if (cut > 0) text = text.slice(0, cut + 1);
  }
  if (text.trim() === '') return { kind: 'skipped', reason: 'empty file' };
  const ext = extensionOf(relPath);
  const maxChars = opts.maxChunkChars ?? 6000;
  const chunks = MARKDOWN_EXT.has(ext) ? splitMarkdown(text, maxChars) : splitBySize(text, maxChars, 1);
  const type: SegmentType = MARKDOWN_EXT.has(ext) ? 'note' : typeForPath(relPath);
  const segments: NewSegment[] = chunks.map((c) => ({
    type,
    text: c.text,
    filePath: relPath,
    lineStart: c.lineStart,
    lineEnd: c.lineEnd,
    taskId: opts.taskId ?? null,
    tags: opts.tags ?? [],
    source: opts.source ?? 'import',
  }));
  if (truncated) {
    segments.push({
      type: 'note',
      text: `${relPath} was truncated: it is ${totalBytes.toLocaleString('en-US')} bytes and only the first ${maxBytes.toLocaleString('en-US')} were ingested.`,
      filePath: relPath,
      taskId: opts.taskId ?? null,
      tags: [...(opts.tags ?? []), 'truncated'],
      source: opts.source ?? 'import',
    });
  }
  return { kind: 'segments', segments, truncated };
}

export interface Chunk {
  text: string;
  lineStart: number;
  lineEnd: number;
}

/** Splits markdown at headings (outside code fences); sections over the size limit are split by size. */
export function splitMarkdown(text: string, maxChars: number): Chunk[] {
  const lines = text.split('\n');
  const sections: { start: number; end: number }[] = [];
  let start = 0;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i])) fence = !fence;
    if (!fence && i > start && /^#{1,6}\s/.test(lines[i])) {
      sections.push({ start, end: i });
      start = i;
    }
  }
  sections.push({ start, end: lines.length });
  const out: Chunk[] = [];
  for (const s of sections) {
    const body = lines.slice(s.start, s.end).join('\n');
    if (body.trim() === '') continue;
    out.push(...splitBySize(body, maxChars, s.start + 1));
  }
  return out;
}

/** Splits text into chunks of at most maxChars at line boundaries (a longer line is cut on its own). */
export function splitBySize(text: string, maxChars: number, firstLine: number): Chunk[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const out: Chunk[] = [];
  let buf: string[] = [];
  let size = 0;
  let bufStart = firstLine;
  const flush = (endLine: number) => {
    const body = buf.join('\n');
    if (body.trim() !== '') out.push({ text: body, lineStart: bufStart, lineEnd: endLine });
    buf = [];
    size = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineNo = firstLine + i;
    if (line.length > maxChars) {
      if (buf.length) flush(lineNo - 1);
      for (let p = 0; p < line.length; p += maxChars) {
        const part = line.slice(p, p + maxChars);
        if (part.trim() !== '') out.push({ text: part, lineStart: lineNo, lineEnd: lineNo });
      }
      bufStart = lineNo + 1;
      continue;
    }
    if (size + line.length + 1 > maxChars && buf.length) {
      flush(lineNo - 1);
      bufStart = lineNo;
    }
    if (buf.length === 0) bufStart = lineNo;
    buf.push(line);
    size += line.length + 1;
  }
  if (buf.length) flush(firstLine + lines.length - 1);
  return out;
}

/** Directory and file names never ingested: dependencies, build output, VCS data, our own store, lock files. */
export const DEFAULT_EXCLUDES = [
  'node_modules', '.git', '.hg', '.svn', 'dist', 'out', 'build', 'coverage', '.next', '.cache', '.context-gc', '.venv', '__pycache__', 'target',
];
const EXCLUDED_FILES = /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock)$|\.(min\.js|min\.css|map|png|jpe?g|gif|webp|ico|pdf|zip|gz|tgz|wasm|woff2?|ttf|exe|dll|so|dylib|class|jar|o|a)$/i;

export function isExcludedPath(relPath: string, excludes: readonly string[] = DEFAULT_EXCLUDES): boolean {
  if (EXCLUDED_FILES.test(relPath)) return true;
  return relPath.split('/').some((part) => excludes.includes(part));
}
