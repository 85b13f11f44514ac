/** BlobStore over content-addressed files `blobs/<aa>/<sha256>`. */
import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import type { BlobRef, BlobStore, BlobWriter, ByteRange } from '../types';
import { BlobNotFound } from '../errors';
import type { StoreContext } from './context';
import { assertBlobHash, blobPath } from './blob-files';
import { TempBlobWriter } from './blob-writer';
import { fileRangeStream, readFileRange, resolveRange } from './byte-range';
import { isErrno } from './files';

export class EmbeddedBlobStore implements BlobStore {
  constructor(private readonly ctx: StoreContext) {}

  createWriter(): BlobWriter {
    return new TempBlobWriter(this.ctx);
  }

  async put(data: Buffer): Promise<BlobRef> {
    const writer = this.createWriter();
    writer.end(data);
    const pending = await writer.pending;
    return pending.commit();
  }

  async read(hash: string, range?: ByteRange): Promise<Buffer> {
    assertBlobHash(hash);
    return readFileRange(blobPath(this.ctx.paths.blobsDir, hash), resolveRange(range), () => new BlobNotFound(hash));
  }

  createReadStream(hash: string, range?: ByteRange): Readable {
    assertBlobHash(hash);
    return fileRangeStream(blobPath(this.ctx.paths.blobsDir, hash), resolveRange(range), () => new BlobNotFound(hash));
  }

  async exists(hash: string): Promise<boolean> {
    assertBlobHash(hash);
    try {
      await fs.access(blobPath(this.ctx.paths.blobsDir, hash));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }
}
