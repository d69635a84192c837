// Files of the saved search index: one text file written to a temp name, fsync'd and renamed over the
// old one, so a crash leaves either the old index or the new one, never half of one. Line-based:
// a header (format, version, watermark), the key table, FlexSearch's export chunks as key/data line
// pairs, and a trailer that proves the file is complete.

import { promises as fsp } from 'fs';
import * as path from 'path';

export const INDEX_FILE = 'search-index.jsonl';

/** Buffers lines and writes them in large pieces. */
export class LineWriter {
  private parts: string[] = [];
  private size = 0;
  private constructor(
    private readonly fh: fsp.FileHandle,
    readonly tmpPath: string,
    readonly finalPath: string,
  ) {}

  static async open(dir: string, name: string): Promise<LineWriter> {
    await fsp.mkdir(dir, { recursive: true });
    const finalPath = path.join(dir, name);
    const tmpPath = `${finalPath}.tmp-${process.pid}`;
    return new LineWriter(await fsp.open(tmpPath, 'w'), tmpPath, finalPath);
  }

  async line(s: string): Promise<void> {
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= 4 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const data = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.fh.write(data);
  }

  /** Flush, fsync, close, rename into place and fsync the directory. */
  async commit(): Promise<void> {
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    await fsp.rename(this.tmpPath, this.finalPath);
    await syncDir(path.dirname(this.finalPath));
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await fsp.rm(this.tmpPath, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

/**
 * Lines of a file, or null when it does not exist or cannot be read. Read in 4 MB pieces and split on
 * `\n` by hand: readline took 0.35 s over the 90 MB index of a million segments (joining long lines), and
 * one 90 MB read beside a large heap cost as much (its external memory set off a full collection).
 */
export async function readLines(file: string): Promise<AsyncIterableIterator<string> | null> {
  try {
    await fsp.access(file);
  } catch {
    return null;
  }
  return (async function* lines(): AsyncGenerator<string> {
    // Opened on the first line asked for, so an iterator dropped unstarted holds no file handle.
    const fh = await fsp.open(file, 'r');
    const buf = Buffer.allocUnsafe(4 << 20);
    let carry: Buffer[] = [];
    let pos = 0;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        let start = 0;
        for (;;) {
          const nl = buf.indexOf(10, start);
          if (nl < 0 || nl >= bytesRead) break;
          if (carry.length > 0) {
            carry.push(buf.subarray(start, nl));
            yield Buffer.concat(carry).toString('utf8');
            carry = [];
          } else {
            yield buf.toString('utf8', start, nl);
          }
          start = nl + 1;
        }
        // The rest is the start of a line that goes on in the next piece: keep a copy (buf is reused).
        if (start < bytesRead) carry.push(Buffer.from(buf.subarray(start, bytesRead)));
      }
      if (carry.length > 0) yield Buffer.concat(carry).toString('utf8');
    } finally {
      await fh.close();
    }
  })();
}

export function arrayToBase64(a: Int32Array | Uint32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function base64ToInt32(s: string): Int32Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.byteLength % 4 !== 0) throw new Error('array length is not a multiple of 4');
  const out = new Int32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function base64ToUint32(s: string): Uint32Array {
  const a = base64ToInt32(s);
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}
