/**
 * BlobStore over three kinds of content-addressed blob: small ones inside the database
 * (inline-blobs.ts; staged in memory until a commit stores them), large ones as files
 * `blobs/<aa>/<sha256>`, and composites of literal bytes and other blobs (composite-blobs.ts).
 * A small blob put as unique (a dispatch, a receipt, a signed original) is keyed by the time of storing and its
 * hash (blob-files.ts uniqueBlobKey). Reads find any kind, and a blob staged in this process, by key.
 */
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../common/hash';
import { pipeInto } from '../../common/pipe';
import { existsSync, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import type { BlobPutOptions, BlobRef, BlobStore, BlobWriter, BlobWriterOptions, ByteRange } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { fitsInline, type StoreContext } from './context';
import { assertBlobKey, blobPath, memoryBlobKey } from './blob-files';
import { TempBlobWriter } from './blob-writer';
import { fileRangeStream, readFileRange, resolveRange, type ResolvedRange } from './byte-range';
import { compositeParts, segmentsOf, storeCompositeInTx, type CompositePart, type CompositeSegment } from './composite-blobs';
import { isErrno } from './files';
import { blobRow, readInlineRange, sliceRange } from './inline-blobs';
import { bufferStream, PendingBlobMemory } from './pending-blob-memory';

function assertRef(ref: BlobRef): void {
  assertBlobKey(ref.hash);
  if (!Number.isSafeInteger(ref.size) || ref.size < 0) throw new InvalidStoreInput(`invalid blob size ${String(ref.size)}`);
}

export class EmbeddedBlobStore implements BlobStore {
  constructor(private readonly ctx: StoreContext) {}

  createWriter(options: BlobWriterOptions = {}): BlobWriter {
    return new TempBlobWriter(this.ctx, options);
  }

  async put(data: Buffer, options: BlobPutOptions = {}): Promise<BlobRef> {
    if (fitsInline(this.ctx, data.length)) {
      // No stream, no temp file: the bytes are already here.
      const hash = sha256Hex(data);
      return new PendingBlobMemory(this.ctx, memoryBlobKey(hash, options, this.ctx.now), data).commit();
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
    assertBlobKey(hash);
    const r = resolveRange(range);
    const inline = this.inlineRange(hash, r);
    if (inline) return inline;
    const parts = compositeParts(this.ctx, hash);
    if (parts) {
      const pieces = await Promise.all(segmentsOf(parts, r).map((s) => ('data' in s ? s.data : this.read(s.ref, s.range))));
      return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
    }
    return readFileRange(blobPath(this.ctx.paths.blobsDir, hash), r, () => new BlobNotFound(hash));
  }

  createReadStream(hash: string, range?: ByteRange): Readable {
    assertBlobKey(hash);
    const r = resolveRange(range);
    const inline = this.inlineRange(hash, r);
    if (inline) return bufferStream(inline);
    const parts = compositeParts(this.ctx, hash);
    if (parts) return Readable.from(this.segmentChunks(segmentsOf(parts, r)), { objectMode: false });
    return fileRangeStream(blobPath(this.ctx.paths.blobsDir, hash), r, () => new BlobNotFound(hash));
  }

  private async *segmentChunks(segments: CompositeSegment[]): AsyncGenerator<Buffer> {
    for (const s of segments) {
      if (!('data' in s)) {
        for await (const chunk of this.createReadStream(s.ref, s.range)) yield chunk as Buffer;
      } else if (s.data.length > 0) {
        yield s.data;
      }
    }
  }

  async compose(parts: ReadonlyArray<Buffer | BlobRef>, options: BlobPutOptions = {}): Promise<BlobRef> {
    for (const p of parts) if (!Buffer.isBuffer(p)) assertRef(p);
    let size = 0;
    for (const p of parts) size += Buffer.isBuffer(p) ? p.length : p.size;
    if (fitsInline(this.ctx, size)) {
      // Small: the bytes go inline whichever way; a copy costs least.
      const bytes = await Promise.all(parts.map((p) => (Buffer.isBuffer(p) ? p : this.readWhole(p))));
      return this.put(Buffer.concat(bytes), options);
    }
    // Kept by reference: blobs stored outside the database rows (files, composites). Inline
    // and merely staged ones are copied: their bytes are small, or not stored yet.
    const byReference = new Set<string>();
    for (const p of parts) {
      if (Buffer.isBuffer(p)) continue;
      const kind = blobRow(this.ctx, p.hash)?.kind;
      if (kind === 'file' || kind === 'composite') byReference.add(p.hash);
    }
    if (byReference.size === 0) return this.copyToWriter(parts);
    const hasher = createHash('sha256');
    const stored: CompositePart[] = [];
    const literal = (data: Buffer): void => {
      hasher.update(data);
      const last = stored[stored.length - 1];
      if (last?.data) stored[stored.length - 1] = { size: last.size + data.length, data: Buffer.concat([last.data, data]) };
      else if (data.length > 0) stored.push({ size: data.length, data });
    };
    for (const p of parts) {
      if (Buffer.isBuffer(p)) {
        literal(p);
      } else if (!byReference.has(p.hash)) {
        literal(await this.readWhole(p));
      } else {
        // The address is the digest of the whole content: the referenced bytes are read, not copied.
        let n = 0;
        for await (const chunk of this.createReadStream(p.hash)) {
          hasher.update(chunk as Buffer);
          n += (chunk as Buffer).length;
        }
        if (n !== p.size) throw new InvalidStoreInput(`blob ${p.hash} has ${n} bytes, not ${p.size}`);
        stored.push({ size: p.size, ref: p.hash });
      }
    }
    const ref = { hash: hasher.digest('hex'), size };
    const file = blobPath(this.ctx.paths.blobsDir, ref.hash);
    await this.ctx.writer.submit({ run: () => storeCompositeInTx(this.ctx, ref, stored, () => existsSync(file)) });
    return ref;
  }

  private async readWhole(ref: BlobRef): Promise<Buffer> {
    const data = await this.read(ref.hash);
    if (data.length !== ref.size) throw new InvalidStoreInput(`blob ${ref.hash} has ${data.length} bytes, not ${ref.size}`);
    return data;
  }

  /** The concatenation written out as a blob of its own (a file, being large). */
  private async copyToWriter(parts: ReadonlyArray<Buffer | BlobRef>): Promise<BlobRef> {
    const self = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (const p of parts) {
        if (Buffer.isBuffer(p)) yield p;
        else yield await self.readWhole(p);
      }
    }
    const writer = this.createWriter();
    await pipeInto(Readable.from(chunks(), { objectMode: false }), writer);
    return (await writer.pending).commit();
  }

  async exists(hash: string): Promise<boolean> {
    assertBlobKey(hash);
    if (this.ctx.staged.get(hash)) return true;
    const kind = blobRow(this.ctx, hash)?.kind;
    if (kind === 'inline' || kind === 'composite') return true;
    try {
      await fs.access(blobPath(this.ctx.paths.blobsDir, hash));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }
}
