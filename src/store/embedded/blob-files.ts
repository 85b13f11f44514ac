/** Where blob files live and how a fsynced temp file becomes one (register, link, fsync dir). */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BlobPutOptions, BlobRef } from '../types';
import { InvalidStoreInput } from '../errors';
import type { StoreContext } from './context';
import { ensureDirDurable, fsyncDir, isErrno, removeIfExists } from './files';
import { blobRow, touchBlobRowInTx } from './inline-blobs';

/** A content hash, or a unique blob's key: the time it was stored (12 hex digits of ms) and then its content hash. */
const KEY = /^(?:[0-9a-f]{12})?[0-9a-f]{64}$/;

/** A blob key of either kind: what names a blob's row and, when it is a file, the file. */
export function isBlobKey(s: string): boolean {
  return KEY.test(s);
}

export function assertBlobKey(key: string): void {
  if (!isBlobKey(key)) throw new InvalidStoreInput(`invalid blob hash ${JSON.stringify(key)}`);
}

/**
 * The key of a blob stored as unique (`put(data, { unique: true })`): its content hash after
 * the time of storing, so keys of such blobs grow with time. Every index on blob keys (the
 * blob rows, the inline bytes, the messages that refer to them) then takes them at its end,
 * instead of in a random leaf page each, as content hashes do: a 10 KB message's dispatch and
 * receipts wrote 15% fewer WAL frames.
 */
export function uniqueBlobKey(contentHash: string, at: Date): string {
  return at.getTime().toString(16).padStart(12, '0') + contentHash;
}

/** The key of a blob received into memory with these options: unique, or its content hash. */
export function memoryBlobKey(contentHash: string, options: BlobPutOptions, at: () => Date): string {
  return options.unique ? uniqueBlobKey(contentHash, at()) : contentHash;
}

/** The SHA-256 of a blob's bytes, from its key (either kind). */
export function contentHashOf(key: string): string {
  return key.slice(-64);
}

export function blobDir(blobsDir: string, hash: string): string {
  return join(blobsDir, hash.slice(0, 2));
}

export function blobPath(blobsDir: string, hash: string): string {
  return join(blobDir(blobsDir, hash), hash);
}

/**
 * Records the blob in the index, or refreshes touched_at so a concurrent sweep leaves it
 * alone; true when its bytes are already stored in the database, inline or as parts (no file
 * needed).
 */
export function registerBlob(ctx: StoreContext, ref: BlobRef): Promise<boolean> {
  return ctx.writer.submit({
    run: () => {
      touchBlobRowInTx(ctx, ref);
      return blobRow(ctx, ref.hash)?.kind !== 'file';
    },
  });
}

/**
 * Makes a fsynced temp file the blob `ref`. The index row comes first: a crash after it leaves
 * a row without a file (harmless, nothing references it yet), never an unregistered file.
 * Content already stored inline is not written again as a file.
 */
export async function installBlob(ctx: StoreContext, tempPath: string, ref: BlobRef): Promise<void> {
  if (await registerBlob(ctx, ref)) {
    await removeIfExists(tempPath);
    return;
  }
  const dir = blobDir(ctx.paths.blobsDir, ref.hash);
  const target = blobPath(ctx.paths.blobsDir, ref.hash);
  await ensureDirDurable(dir);
  try {
    // link() is an atomic exclusive create of a complete file.
    await fs.link(tempPath, target);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    const existing = await fs.stat(target);
    if (existing.size !== ref.size) {
      // Same hash, different size: the existing file is damaged; replace it atomically.
      ctx.logger.warn({ hash: ref.hash, size: existing.size, expected: ref.size }, 'replacing damaged blob file');
      await fs.rename(tempPath, target);
    }
  }
  await removeIfExists(tempPath);
  await fsyncDir(dir);
}
