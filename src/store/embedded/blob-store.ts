/**
 * BlobStore over two kinds of content-addressed blob: small ones inside the database
 * (inline-blobs.ts; staged in memory until a commit stores them), large ones as files
 * `blobs/<aa>/<sha256>`. Reads find either kind, and a blob staged in this process, by hash.
 */
import { sha256Hex } from '../../common/hash';
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import type { BlobRef, BlobStore, BlobWriter, BlobWriterOptions, ByteRange } from '../types';
import { BlobNotFound } from '../errors';
import { fitsInline, type StoreContext } from './context';
import { assertBlobHash, blobPath } from './blob-files';
import { TempBlobWriter } from './blob-writer';
import { fileRangeStream, readFileRange, resolveRange, type ResolvedRange } from './byte-range';
import { isErrno } from './files';
import { hasInline, readInlineRange, sliceRange } from './inline-blobs';
import { bufferStream, PendingBlobMemory } from './pending-blob-memory';

export class EmbeddedBlobStore implements BlobStore {
  constructor(private readonly ctx: StoreContext) {}

  createWriter(options: BlobWriterOptions = {}): BlobWriter {
    return new TempBlobWriter(this.ctx, options);
  }

  async put(data: Buffer): Promise<BlobRef> {
    if (fitsInline(this.ctx, data.length)) {
      // No stream, no temp file: the bytes are already here.
      return new PendingBlobMemory(this.ctx, sha256Hex(data), data).commit();
    }
    const writer = this.createWriter();
    writer.end(data);
    const pending = await writer.pending;
    return pending.commit();
  }

  /** The range from memory or the database, or undefined for a file blob (or none). */
  private inlineRange(hash: string, range: ResolvedRange): Buffer | undefined {
    const staged = this.ctx.staged.get(hash);
    if (staged) return sliceRange(staged.data, range);
    return readInlineRange(this.ctx, hash, range);
  }

  async read(hash: string, range?: ByteRange): Promise<Buffer> {
    assertBlobHash(hash);
    const r = resolveRange(range);
    return this.inlineRange(hash, r) ?? readFileRange(blobPath(this.ctx.paths.blobsDir, hash), r, () => new BlobNotFound(hash));
  }

  createReadStream(hash: string, range?: ByteRange): Readable {
    assertBlobHash(hash);
    const r = resolveRange(range);
    const inline = this.inlineRange(hash, r);
    if (inline) return bufferStream(inline);
    return fileRangeStream(blobPath(this.ctx.paths.blobsDir, hash), r, () => new BlobNotFound(hash));
  }

  async exists(hash: string): Promise<boolean> {
    assertBlobHash(hash);
    if (this.ctx.staged.get(hash) || hasInline(this.ctx, hash)) return true;
    try {
      await fs.access(blobPath(this.ctx.paths.blobsDir, hash));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }
}
