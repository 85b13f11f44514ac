/** Byte ranges (`start` inclusive, `end` exclusive) and ranged reads of a file. */
import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import type { ByteRange } from '../types';
import { InvalidStoreInput } from '../errors';
import { isErrno } from './files';
import { noteStreamedBytes } from '../../common/memory-valve';

const CHUNK = 64 * 1024;

export interface ResolvedRange {
  start: number;
  /** Exclusive; may be Infinity (to the end of the file). */
  end: number;
}

export function resolveRange(range: ByteRange | undefined): ResolvedRange {
  const start = range?.start ?? 0;
  const end = range?.end ?? Infinity;
  if (!Number.isSafeInteger(start) || start < 0) throw new InvalidStoreInput(`invalid range start ${String(range?.start)}`);
  if (end !== Infinity && (!Number.isSafeInteger(end) || end < start)) {
    throw new InvalidStoreInput(`invalid range end ${String(range?.end)}`);
  }
  return { start, end };
}

/** Reads a range into memory (callers ask for what they intend to hold). */
export async function readFileRange(path: string, range: ResolvedRange, notFound: () => Error): Promise<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    throw isErrno(err, 'ENOENT') ? notFound() : err;
  }
  try {
    const size = (await handle.stat()).size;
    const end = Math.min(range.end, size);
    if (end <= range.start) return Buffer.alloc(0);
    const buf = Buffer.alloc(end - range.start);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await handle.read(buf, done, buf.length - done, range.start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buf.length ? buf : buf.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/** Streams a range of a file in fixed-size chunks (never the whole file in memory). */
export function fileRangeStream(path: string, range: ResolvedRange, notFound: () => Error): Readable {
  let handle: fs.FileHandle | undefined;
  let position = range.start;
  return new Readable({
    construct(callback) {
      fs.open(path, 'r').then(
        (h) => {
          handle = h;
          callback();
        },
        (err: unknown) => callback(isErrno(err, 'ENOENT') ? notFound() : (err as Error)),
      );
    },
    read() {
      const h = handle;
      if (!h) return;
      const want = Math.min(CHUNK, range.end - position);
      if (want <= 0) {
        this.push(null);
        return;
      }
      const buf = Buffer.allocUnsafe(want);
      h.read(buf, 0, want, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            this.push(null);
            return;
          }
          position += bytesRead;
          noteStreamedBytes(bytesRead);
          this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
        },
        (err: unknown) => this.destroy(err as Error),
      );
    },
    destroy(err, callback) {
      const h = handle;
      handle = undefined;
      if (!h) return callback(err);
      h.close().then(
        () => callback(err),
        (closeErr: unknown) => callback(err ?? (closeErr as Error)),
      );
    },
  });
}
