// Worker-thread entry of background compaction (see compaction.ts). Bundled as dist/storeCompactor.js.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ContextGcError } from '../model';
import { compactFiles, type CompactionJob, type WorkerReply } from './compaction';

if (!isMainThread && parentPort) {
  const port = parentPort;
  compactFiles(workerData as CompactionJob).then(
    (result) => port.postMessage({ ok: true, result } satisfies WorkerReply),
    (err: unknown) =>
      port.postMessage({
        ok: false,
        reason: ContextGcError.is(err) ? err.reason : 'io_error',
        message: err instanceof Error ? err.message : String(err),
      } satisfies WorkerReply),
  );
}
