/**
 * Streaming blob writer: hashes what it receives and keeps it in memory while it fits the
 * inline threshold; past it, everything goes to a temp file, fsynced on finish. It hands back
 * a PendingBlob that can still be committed or discarded: in memory (pending-blob-memory.ts,
 * later stored in the database) or as a temp file (made a content-addressed blob file).
 * Writes to the file are gathered into batches of WRITE_BATCH bytes: socket-sized chunks
 * (16 KB) written one by one cost a thread-pool round trip each, which made receiving a 1 MB
 * message twice as slow. A blob of up to READ_CACHE_BYTES written with `readWhilePending` is
 * also kept in memory until it is dropped, so the checks that read it right after receiving it
 * (MIME scan, signature) do not read the file back. Without it (a dispatch, written once and
 * never read back by its writer) the buffers go once written: held for a job's whole length,
 * they outlived the young generation and every 64 MB of them cost a full collection.
 * File errors surface as the store's typed failures (a full disk is StorageFull).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import type { BlobRef, BlobWriter, BlobWriterOptions, ByteRange, PendingBlob } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { noteStreamedBytes } from '../../common/memory-valve';
import { fitsInline, type StoreContext } from './context';
import { blobPath, installBlob, memoryBlobKey } from './blob-files';
import { asStoreFailure } from './failures';
import { fileRangeStream, readFileRange, resolveRange } from './byte-range';
import { ChunkList } from './chunk-list';
import { FILE_MODE, removeIfExists, writevAll } from './files';
import { PendingBlobMemory } from './pending-blob-memory';
import { tempFilePath } from './temp-files';

/** Bytes gathered before one write to the temp file. */
const WRITE_BATCH = 256 * 1024;
/** Blobs up to this size stay readable from memory while pending (see the header). */
const READ_CACHE_BYTES = 4 * 1024 * 1024;

class PendingBlobFile implements PendingBlob {
  private state: 'pending' | 'committed' | 'discarded' = 'pending';
  private committing?: Promise<BlobRef>;

  constructor(
    private readonly ctx: StoreContext,
    private readonly tempPath: string,
    readonly hash: string,
    readonly size: number,
    /** The same bytes as the file, when small enough to keep (READ_CACHE_BYTES). */
    private readonly cached?: ChunkList,
  ) {}

  private location(): string {
    if (this.state === 'discarded') throw new InvalidStoreInput('pending blob was discarded');
    return this.state === 'committed' ? blobPath(this.ctx.paths.blobsDir, this.hash) : this.tempPath;
  }

  createReadStream(range?: ByteRange): Readable {
    const path = this.location();
    if (this.cached) return this.cached.stream(resolveRange(range));
    return fileRangeStream(path, resolveRange(range), () => new BlobNotFound(this.hash));
  }

  async read(range?: ByteRange): Promise<Buffer> {
    const path = this.location();
    if (this.cached) return this.cached.read(resolveRange(range));
    return readFileRange(path, resolveRange(range), () => new BlobNotFound(this.hash));
  }

  commit(): Promise<BlobRef> {
    if (this.state === 'discarded') return Promise.reject(new InvalidStoreInput('pending blob was discarded'));
    this.committing ??= installBlob(this.ctx, this.tempPath, { hash: this.hash, size: this.size }).then(
      () => {
        this.state = 'committed';
        return { hash: this.hash, size: this.size };
      },
      async (err: unknown) => {
        // A failed commit ends the pending blob: its temp file must not outlive it (callers
        // such as jobs simply retry from the start).
        this.state = 'discarded';
        await removeIfExists(this.tempPath).catch(() => undefined);
        throw asStoreFailure(err);
      },
    );
    return this.committing;
  }

  async discard(): Promise<void> {
    // A committed blob may already be shared by content; it is the sweep's to remove.
    if (this.state !== 'pending' || this.committing) return;
    this.state = 'discarded';
    await removeIfExists(this.tempPath);
  }
}

export class TempBlobWriter extends Writable implements BlobWriter {
  readonly pending: Promise<PendingBlob>;
  private resolvePending!: (p: PendingBlob) => void;
  private rejectPending!: (err: Error) => void;
  private settled = false;
  private handle?: fs.FileHandle;
  private readonly hasher = createHash('sha256');
  private size = 0;
  private readonly tempPath: string;
  /** Everything received, while it fits the inline threshold or the read cache; undefined beyond. */
  private memory: Buffer[] | undefined = [];
  private readonly memoryLimit: number;
  /** Received but not yet on file (the whole blob while it may still be inline). */
  private unwritten: Buffer[] = [];
  private unwrittenBytes = 0;

  constructor(
    private readonly ctx: StoreContext,
    /** `unique` keys a blob that stays in memory (one past that goes to a file named by its content hash). */
    private readonly options: BlobWriterOptions = {},
  ) {
    super({ highWaterMark: 256 * 1024 });
    // Inline blobs are kept whole in any case: their bytes go into the database.
    this.memoryLimit = options.readWhilePending ? Math.max(READ_CACHE_BYTES, ctx.inlineBlobBytes) : ctx.inlineBlobBytes;
    this.tempPath = tempFilePath(ctx.paths.tmpDir, 'blob');
    this.pending = new Promise<PendingBlob>((resolve, reject) => {
      this.resolvePending = resolve;
      this.rejectPending = reject;
    });
    // Callers that only watch the stream's 'error' must not see an unhandled rejection, and
    // callers that only await `pending` (which rejects with the same error) must not have an
    // unwatched 'error' event take the process down (a full disk in a job).
    this.pending.catch(() => undefined);
    this.on('error', () => undefined);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    noteStreamedBytes(chunk.length);
    this.hasher.update(chunk);
    this.size += chunk.length;
    if (this.memory) {
      if (this.size <= this.memoryLimit) this.memory.push(chunk);
      else this.memory = undefined;
    }
    this.unwritten.push(chunk);
    this.unwrittenBytes += chunk.length;
    if (fitsInline(this.ctx, this.size) || this.unwrittenBytes < WRITE_BATCH) return callback();
    this.flush().then(() => callback(), (err: unknown) => callback(asStoreFailure(err) as Error));
  }

  /** Appends what is not yet on file to the temp file, creating it first. */
  private async flush(): Promise<void> {
    this.handle ??= await fs.open(this.tempPath, 'wx', FILE_MODE);
    const parts = this.unwritten;
    this.unwritten = [];
    this.unwrittenBytes = 0;
    // writev: one system call for the batch, without copying it into one buffer first.
    if (parts.length > 0) await writevAll(this.handle, parts);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.memory && fitsInline(this.ctx, this.size)) {
      const data = this.memory.length === 1 ? (this.memory[0] as Buffer) : Buffer.concat(this.memory);
      this.memory = undefined;
      this.unwritten = [];
      this.settled = true;
      this.resolvePending(new PendingBlobMemory(this.ctx, memoryBlobKey(this.hasher.digest('hex'), this.options, this.ctx.now), data));
      return callback();
    }
    // An empty blob where nothing is inline still becomes a file.
    this.flush()
      .then(() => this.handle!.sync())
      .then(() => this.handle!.close())
      .then(() => {
        this.handle = undefined;
        const cached = this.memory && new ChunkList(this.memory);
        this.memory = undefined;
        this.settled = true;
        this.resolvePending(new PendingBlobFile(this.ctx, this.tempPath, this.hasher.digest('hex'), this.size, cached));
        callback();
      }, (err: unknown) => callback(asStoreFailure(err) as Error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    this.memory = undefined;
    this.unwritten = [];
    const cleanup = async (): Promise<void> => {
      if (handle) await handle.close().catch(() => undefined);
      if (!this.settled) {
        this.settled = true;
        await removeIfExists(this.tempPath).catch(() => undefined);
        this.rejectPending(error ?? new Error('blob writer closed before the end of the data'));
      }
    };
    cleanup().then(() => callback(error));
  }
}
