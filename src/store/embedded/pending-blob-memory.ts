/**
 * A small blob received in full and held in memory (never a temp file). `commit()` stages it
 * (staged-blobs.ts): the commit that references it writes it into the database in its own
 * transaction. Should staging be full, the bytes are stored as a file instead, as a large
 * blob would be, so a commit never depends on memory it was refused.
 */
import { Readable } from 'node:stream';
import type { BlobRef, ByteRange, PendingBlob } from '../types';
import { InvalidStoreInput } from '../errors';
import type { StoreContext } from './context';
import { installBlob } from './blob-files';
import { resolveRange } from './byte-range';
import { asStoreFailure } from './failures';
import { fsyncDir, removeIfExists, writeNewFileSynced } from './files';
import { sliceRange } from './inline-blobs';
import { tempFilePath } from './temp-files';

/** A byte-mode stream of one buffer (consumers may rely on Buffer chunks, not objects). */
export function bufferStream(data: Buffer): Readable {
  return Readable.from(data.length > 0 ? [data] : [], { objectMode: false });
}

/** Stores bytes as a blob file (write, fsync, link): the path of large blobs, and the fallback. */
async function storeAsFile(ctx: StoreContext, ref: BlobRef, data: Buffer): Promise<void> {
  const temp = tempFilePath(ctx.paths.tmpDir, 'blob');
  try {
    await writeNewFileSynced(temp, data);
    await fsyncDir(ctx.paths.tmpDir);
    await installBlob(ctx, temp, ref);
  } catch (err) {
    await removeIfExists(temp).catch(() => undefined);
    throw err;
  }
}

export class PendingBlobMemory implements PendingBlob {
  private state: 'pending' | 'staged' | 'stored' | 'discarded' = 'pending';
  private committing?: Promise<BlobRef>;
  private data: Buffer | undefined;

  constructor(
    private readonly ctx: StoreContext,
    readonly hash: string,
    data: Buffer,
  ) {
    this.data = data;
  }

  get size(): number {
    return this.data?.length ?? 0;
  }

  get bytes(): Buffer | undefined {
    return this.state === 'discarded' ? undefined : this.data;
  }

  private held(): Buffer {
    if (this.state === 'discarded' || !this.data) throw new InvalidStoreInput('pending blob was discarded');
    return this.data;
  }

  createReadStream(range?: ByteRange): Readable {
    return bufferStream(sliceRange(this.held(), resolveRange(range)));
  }

  async read(range?: ByteRange): Promise<Buffer> {
    return sliceRange(this.held(), resolveRange(range));
  }

  commit(): Promise<BlobRef> {
    if (this.state === 'discarded') return Promise.reject(new InvalidStoreInput('pending blob was discarded'));
    const data = this.held();
    const ref = { hash: this.hash, size: data.length };
    this.committing ??= (async (): Promise<BlobRef> => {
      if (this.ctx.staged.stage(this.hash, data)) {
        this.state = 'staged';
        return ref;
      }
      try {
        await storeAsFile(this.ctx, ref, data);
      } catch (err) {
        this.state = 'discarded';
        this.data = undefined;
        throw asStoreFailure(err);
      }
      this.state = 'stored';
      return ref;
    })();
    return this.committing;
  }

  /**
   * Before commit: drops the bytes. After commit: lets the staged copy go (a commit already
   * under way took its own reference to the bytes); a stored blob is the sweep's to remove.
   */
  async discard(): Promise<void> {
    if (this.state === 'pending' && !this.committing) {
      this.state = 'discarded';
      this.data = undefined;
      return;
    }
    if (this.state === 'staged') {
      this.state = 'stored';
      this.ctx.staged.release(this.hash);
    }
  }
}
