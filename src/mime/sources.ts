/** RangeSource adapters (buffer, file, sub-range) and streaming helpers over them. */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ByteRange, RangeSource } from './types';

function clamp(size: number, range?: ByteRange): { start: number; end: number } {
  const start = Math.max(0, Math.min(range?.start ?? 0, size));
  const end = Math.max(start, Math.min(range?.end ?? size, size));
  return { start, end };
}

const CHUNK = 64 * 1024;

export function bufferSource(buf: Buffer): RangeSource {
  return {
    size: buf.length,
    bytes: buf,
    read: async (range) => {
      const { start, end } = clamp(buf.length, range);
      return buf.subarray(start, end);
    },
    createReadStream: (range) => {
      const { start, end } = clamp(buf.length, range);
      // Chunked like a file stream, so consumers see realistic chunk boundaries.
      function* chunks(): Generator<Buffer> {
        for (let p = start; p < end; p += CHUNK) yield buf.subarray(p, Math.min(end, p + CHUNK));
      }
      return Readable.from(chunks(), { objectMode: false });
    },
  };
}

/** A file's bytes; the size is taken when the source is made. */
export function fileSource(path: string): RangeSource {
  const size = statSync(path).size;
  return {
    size,
    read: async (range) => {
      const { start, end } = clamp(size, range);
      const out = Buffer.alloc(end - start);
      if (out.length === 0) return out;
      const handle = await fs.open(path, 'r');
      try {
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
          if (bytesRead === 0) throw new Error(`${path} is shorter than expected`);
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out;
    },
    createReadStream: (range) => {
      const { start, end } = clamp(size, range);
      if (end === start) return Readable.from([]);
      return createReadStream(path, { start, end: end - 1, highWaterMark: CHUNK }); // fs `end` is inclusive
    },
  };
}

/** The bytes [start, end) of another source, addressed from 0. */
export function subSource(src: RangeSource, start: number, end: number): RangeSource {
  const { start: s, end: e } = clamp(src.size, { start, end });
  return new SubSource(src, s, e);
}

/** A class rather than an object of closures made per call (see evidence/xml-text.ts). */
class SubSource implements RangeSource {
  readonly size: number;

  constructor(
    private readonly src: RangeSource,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.size = end - start;
  }

  get bytes(): Buffer | undefined {
    return this.src.bytes?.subarray(this.start, this.end);
  }

  read(range?: ByteRange): Promise<Buffer> {
    return this.src.read(this.map(range));
  }

  createReadStream(range?: ByteRange): Readable {
    return this.src.createReadStream(this.map(range));
  }

  private map(range?: ByteRange): ByteRange {
    const r = clamp(this.size, range);
    return { start: this.start + r.start, end: this.start + r.end };
  }
}

/**
 * The bytes of a range in order: one chunk when the source holds them in memory (no stream is
 * made), else the chunks of its stream. A reader may stop early: the stream is then closed
 * quietly (no AbortError, which would cost a stack trace per message).
 */
export async function* rangeChunks(src: Pick<RangeSource, 'bytes' | 'createReadStream'>, range?: ByteRange): AsyncGenerator<Buffer> {
  const bytes = src.bytes;
  if (bytes) {
    const { start, end } = clamp(bytes.length, range);
    yield bytes.subarray(start, end);
    return;
  }
  const stream = src.createReadStream(range);
  try {
    for await (const chunk of stream.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

/** Hash of a byte range, streamed (node:crypto algorithm name, e.g. 'sha256'). */
export async function hashRange(src: RangeSource, algorithm: string, range?: ByteRange): Promise<Buffer> {
  const hash = createHash(algorithm);
  for await (const chunk of rangeChunks(src, range)) hash.update(chunk);
  return hash.digest();
}
