/** The first stage a submission's bytes pass through (submission.ts). */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { MimeShapeMeter } from '../mime/shape';

/**
 * Passes a submission's bytes on up to `limit`, measuring their shape; bytes beyond the limit
 * are hashed (for the rejection evidence) but never written to disk. A class rather than a
 * Transform of closures made per message (see evidence/xml-text.ts).
 */
export class SizeLimiter extends Transform {
  readonly hash = createHash('sha256');
  /** Bytes received, the refused ones included. */
  size = 0;

  constructor(
    private readonly limit: number,
    private readonly meter: MimeShapeMeter,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    const before = this.size;
    this.size += chunk.length;
    if (before >= this.limit) return cb();
    const kept = this.size > this.limit ? chunk.subarray(0, this.limit - before) : chunk;
    this.meter.push(kept);
    cb(null, kept);
  }
}
