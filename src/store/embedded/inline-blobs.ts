/**
 * Blobs kept inside the database (`blob_data`, keyed by hash): the small ones. Their `blobs`
 * row is the same as a file blob's or a composite's (size, touched_at), so references, the
 * sweep's grace period and the quota work alike for every kind; the kind is which table holds
 * the bytes (BLOB_KIND_SQL).
 */
import type { StoreContext } from './context';
import type { ResolvedRange } from './byte-range';
import type { StagedBlob } from './staged-blobs';

/** A staged blob a commit references, and whether its bytes go into the database. */
export interface StagedReference extends StagedBlob {
  /** False when the hash is already stored as a file that is in place (content is stored once). */
  inline: boolean;
}

/** Where a registered blob's bytes are: in `blob_data`, as `blob_parts` (composite-blobs.ts), or in its file. */
export type BlobKind = 'inline' | 'composite' | 'file';

/** The kind of the `blobs` row aliased `b`, as an SQL expression. */
export const BLOB_KIND_SQL = `CASE WHEN EXISTS (SELECT 1 FROM blob_data d WHERE d.hash = b.hash) THEN 'inline'
  WHEN EXISTS (SELECT 1 FROM blob_parts p WHERE p.hash = b.hash) THEN 'composite' ELSE 'file' END`;

export interface BlobRow {
  size: number;
  touched_at: number;
  kind: BlobKind;
}

export function blobRow(ctx: StoreContext, hash: string): BlobRow | undefined {
  return ctx.db.get<BlobRow>(`SELECT size, touched_at, ${BLOB_KIND_SQL} AS kind FROM blobs b WHERE hash = ?`, hash);
}

/**
 * The blob's index row, new or with touched_at refreshed (so a concurrent sweep leaves it
 * alone), for either kind of blob; inside a write transaction.
 */
export function touchBlobRowInTx(ctx: StoreContext, ref: { hash: string; size: number }): void {
  ctx.db.run(
    `INSERT INTO blobs (hash, size, touched_at) VALUES (?, ?, ?)
     ON CONFLICT (hash) DO UPDATE SET touched_at = excluded.touched_at`,
    ref.hash,
    ref.size,
    ctx.now().getTime(),
  );
}

/** Inside the commit's transaction: the blob becomes stored (or, already stored, freshly touched). */
export function storeStagedInTx(ctx: StoreContext, blob: StagedReference): void {
  touchBlobRowInTx(ctx, blob);
  if (blob.inline) ctx.db.run('INSERT INTO blob_data (hash, data) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING', blob.hash, blob.data);
}

/** The bytes of `range` of an inline blob, or undefined when the hash is not stored inline. */
export function readInlineRange(ctx: StoreContext, hash: string, range: ResolvedRange): Buffer | undefined {
  const row =
    range.end === Infinity
      ? ctx.db.get<{ part: Buffer }>('SELECT substr(data, ?) AS part FROM blob_data WHERE hash = ?', range.start + 1, hash)
      : ctx.db.get<{ part: Buffer }>('SELECT substr(data, ?, ?) AS part FROM blob_data WHERE hash = ?', range.start + 1, range.end - range.start, hash);
  if (!row) return undefined;
  // substr() of an empty result may come back as text or null; a range past the end is empty.
  return Buffer.isBuffer(row.part) ? row.part : Buffer.alloc(0);
}

/** A slice of in-memory bytes by range (`end` may be Infinity). */
export function sliceRange(data: Buffer, range: ResolvedRange): Buffer {
  const end = Math.min(range.end, data.length);
  return end <= range.start ? Buffer.alloc(0) : data.subarray(range.start, end);
}
