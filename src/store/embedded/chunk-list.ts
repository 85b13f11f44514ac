/**
 * Bytes kept as the chunks they arrived in: a pending blob's read cache without copying the
 * whole blob into one buffer (a megabyte copied per message, in the SMTP thread and again in
 * the job thread's dispatch). Ranges within one chunk are views; a stream yields views.
 */
import { Readable } from 'node:stream';
import type { ResolvedRange } from './byte-range';

export class ChunkList {
  readonly size: number;
  /** Offset of each chunk's first byte. */
  private readonly offsets: number[] = [];

  constructor(private readonly chunks: readonly Buffer[]) {
    let at = 0;
    for (const c of chunks) {
      this.offsets.push(at);
      at += c.length;
    }
    this.size = at;
  }

  /** The views of the chunks that cover the range, in order. */
  private *views(range: ResolvedRange): Generator<Buffer> {
    const end = Math.min(range.end, this.size);
    if (end <= range.start) return;
    // First chunk holding `start`: the last offset <= start.
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= range.start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < this.chunks.length && this.offsets[i] < end; i++) {
      const c = this.chunks[i];
      const from = Math.max(0, range.start - this.offsets[i]);
      const to = Math.min(c.length, end - this.offsets[i]);
      if (to > from) yield c.subarray(from, to);
    }
  }

  /** The range as one buffer: a view when it lies in one chunk, else a copy of just the range. */
  read(range: ResolvedRange): Buffer {
    const parts = [...this.views(range)];
    if (parts.length === 1) return parts[0];
    return parts.length === 0 ? Buffer.alloc(0) : Buffer.concat(parts);
  }

  stream(range: ResolvedRange): Readable {
    return Readable.from(this.views(range), { objectMode: false });
  }
}
