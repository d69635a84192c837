// The messages between the extension host and the engine worker (src/host/engineWorker.ts), declared once.
//
// The worker owns the engine and its store, so opening the store, snapshots, bulk ingest and bulk token
// counting never run on the extension host's event loop. The host sends requests (id, method, args) and
// gets one response per request (result, or an error that keeps the ContextGcError reason); the worker
// pushes events (engine changes, totals, progress, log lines) without being asked.
//
// `WorkerApi` is the contract: the engine's own async shape (src/protocol/engineApi.ts, forwarded as is)
// plus the few HostOps the worker adds. The host's EngineClient derives its typed `call(method, ...args)`
// from it, so a renamed method or a changed argument is a compile error on both sides. Only
// structured-cloneable data crosses (no class instances, no functions).

import type { ChangeResult, EngineSettings, GcRequest } from '../../engine/engine';
import type { Encoding, ErrorReason, SegmentMeta } from '../../engine/model';
import type { GcPlan } from '../../engine/gc/gc';
import { ENGINE_METHODS, type EngineApi, type EngineMethod } from '../../protocol/engineApi';

export interface InitOptions {
  /** Directory of the durable store; null keeps everything in memory (tests, or no storage available). */
  storeDir: string | null;
  /** Where the search index is saved on close and loaded at open (null: rebuilt in the background at each open). */
  searchDir: string | null;
  encoding: Encoding;
  settings: EngineSettings;
  project: string;
  /** What the store's lock names as its owner ("VS Code window 1234"). */
  purpose: string;
}

export interface Totals {
  workingTokens: number;
  workingSegments: number;
  percent: number;
  budget: number;
}

export interface InitResult {
  storeKind: 'sqlite' | 'memory';
  storeDir: string | null;
  /** Milliseconds from the worker receiving init to the engine being ready. */
  openMs: number;
  segments: number;
  totals: Totals;
  encoding: Encoding;
  currentTask: string | null;
}

/** A file's content as the host read it from its editor (already cut to the size limit). */
export interface BindFileRequest {
  /** Workspace-relative, forward slashes. */
  filePath: string;
  /** The text kept (the whole document, or its first `maxBytes` when the file is bigger). */
  text: string;
  /** Size of the whole document in characters (used for the truncation note). */
  totalChars: number;
  truncated: boolean;
  maxBytes: number;
}

export interface BindFileResult {
  /** What happened to the file's segment. `skipped`: binary or empty. */
  action: 'added' | 'updated' | 'touched' | 'restored' | 'skipped';
  /** Why it was skipped. */
  skipped?: string;
  segment?: SegmentMeta;
  /** Tokens this moved into (+) or out of (-) the working set. */
  tokenDelta: number;
  /** The file's other stashed segments (notes, decisions, selections): what reopening offers to restore. */
  stashedForFile: SegmentMeta[];
  totals: Totals;
}

export interface StashFileResult {
  filePath: string;
  stashed: number[];
  /** Pinned segments of the file, which stay in the working set. */
  keptPinned: number[];
  tokenDelta: number;
  totals: Totals;
}

export interface PlanView {
  plan: GcPlan;
  /** Title and file of every candidate, for the preview. */
  items: Record<number, { title: string; filePath: string | null }>;
}

export interface EncodingResult {
  recounted: number;
  tokenDelta: number;
  ms: number;
  totals: Totals;
}

/**
 * What the worker does beyond forwarding engine calls: open the store, bind editors to segments, stash a
 * closed file, build a GC preview with titles. Everything else is the engine's own API (EngineApi).
 */
export interface HostOps {
  init(opts: InitOptions): Promise<InitResult>;
  bindFile(req: BindFileRequest): Promise<BindFileResult>;
  stashFile(filePath: string): Promise<StashFileResult>;
  planView(req: GcRequest): PlanView;
  /** Switches the encoding and recounts, pushing progress events. */
  recount(encoding: Encoding): Promise<EncodingResult>;
  /** Closes the engine and its store (durable, lock released). */
  close(): Promise<void>;
}

export const HOST_OPS = ['init', 'bindFile', 'stashFile', 'planView', 'recount', 'close'] as const satisfies readonly (keyof HostOps)[];

type Fn = (...args: never[]) => unknown;
/** The whole worker surface: the engine's methods (setEncoding's progress callback cannot cross; use recount) and HostOps. */
export type WorkerApi = EngineApi & { [K in keyof HostOps]: HostOps[K] extends Fn ? (...args: Parameters<HostOps[K]>) => Promise<Awaited<ReturnType<HostOps[K]>>> : never };
export type Method = EngineMethod | (typeof HOST_OPS)[number];
export type ArgsOf<M extends Method> = Parameters<WorkerApi[M]>;
export type ResultOf<M extends Method> = Awaited<ReturnType<WorkerApi[M]>>;

export function isEngineMethod(v: unknown): v is EngineMethod {
  return typeof v === 'string' && (ENGINE_METHODS as readonly string[]).includes(v);
}
export function isHostOp(v: unknown): v is keyof HostOps {
  return typeof v === 'string' && (HOST_OPS as readonly string[]).includes(v);
}
export function isMethod(v: unknown): v is Method {
  return isEngineMethod(v) || isHostOp(v);
}

/** An error as it crosses the thread boundary. `reason` is a ContextGcError reason, or 'internal' for a bug. */
export interface WireError {
  reason: ErrorReason | 'internal';
  message: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export interface RequestMessage {
  kind: 'request';
  id: number;
  method: Method;
  args: unknown[];
}

export type ResponseMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: WireError };

export interface ProgressEvent {
  /** What is in progress ("Counting tokens"). */
  title: string;
  done: number;
  total: number;
}

export interface LogEvent {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

/** Pushed by the worker without a request. */
export type WorkerEvent =
  | { kind: 'event'; name: 'change'; data: ChangeResult }
  | { kind: 'event'; name: 'totals'; data: Totals }
  | { kind: 'event'; name: 'progress'; data: ProgressEvent }
  | { kind: 'event'; name: 'log'; data: LogEvent };

export type WorkerMessage = ResponseMessage | WorkerEvent;

export function isRequestMessage(v: unknown): v is RequestMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Partial<RequestMessage>;
  return m.kind === 'request' && typeof m.id === 'number' && isMethod(m.method) && Array.isArray(m.args);
}

export function isWorkerMessage(v: unknown): v is WorkerMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as { kind?: unknown; id?: unknown; name?: unknown };
  return (m.kind === 'response' && typeof m.id === 'number') || (m.kind === 'event' && typeof m.name === 'string');
}
