/**
 * Composite blobs (`blob_parts`): a blob whose bytes are its parts in order, each literal bytes
 * kept in the row or the whole content of another stored blob. A REM dispatch is a few KB of
 * introduction and evidence around the original message, byte for byte: kept as a composite,
 * a 1 MB original is not written, fsynced and stored a second time. The blob's `blobs` row is
 * like any other's (size, touched_at, the sweep's grace period); a referenced blob stays as
 * long as a composite names it (sweep.ts).
 */
import type { BlobRef } from '../types';
import type { ResolvedRange } from './byte-range';
import type { StoreContext } from './context';
import { blobRow, touchBlobRowInTx } from './inline-blobs';

/** A part as stored: its size, and either its bytes or the hash of the blob it is. */
export interface CompositePart {
  size: number;
  data?: Buffer;
  ref?: string;
}

/** A piece of a read: bytes at hand, or a range of a referenced blob. */
export type CompositeSegment = { data: Buffer } | { ref: string; range: ResolvedRange };

export function compositeParts(ctx: StoreContext, hash: string): CompositePart[] | undefined {
  const rows = ctx.db.all<{ size: number; data: Buffer | null; ref_hash: string | null }>(
    'SELECT size, data, ref_hash FROM blob_parts WHERE hash = ? ORDER BY seq',
    hash,
  );
  if (rows.length === 0) return undefined;
  return rows.map((r) => (r.ref_hash !== null ? { size: r.size, ref: r.ref_hash } : { size: r.size, data: r.data ?? Buffer.alloc(0) }));
}

/**
 * Inside a write transaction: the composite's row (new, or touched) and, unless its content is
 * already stored under that hash (inline, as a file or as a composite), its parts. A referenced
 * blob must have its row (the foreign key fails the transaction otherwise).
 */
export function storeCompositeInTx(ctx: StoreContext, blob: BlobRef, parts: CompositePart[], fileExists: () => boolean): void {
  const row = blobRow(ctx, blob.hash);
  touchBlobRowInTx(ctx, blob);
  if ((row && row.kind !== 'file') || fileExists()) return;
  parts.forEach((p, seq) => {
    ctx.db.run('INSERT INTO blob_parts (hash, seq, size, data, ref_hash) VALUES (?, ?, ?, ?, ?)', blob.hash, seq, p.size, p.data ?? null, p.ref ?? null);
  });
}

/** What to read for `range` of a composite: literal slices and ranges of referenced blobs. */
export function segmentsOf(parts: readonly CompositePart[], range: ResolvedRange): CompositeSegment[] {
  const out: CompositeSegment[] = [];
  let offset = 0;
  for (const p of parts) {
    const start = Math.max(range.start, offset);
    const end = Math.min(range.end, offset + p.size);
    if (start < end) {
      const inner = { start: start - offset, end: end - offset };
      out.push(p.ref !== undefined ? { ref: p.ref, range: inner } : { data: p.data!.subarray(inner.start, inner.end) });
    }
    offset += p.size;
    if (offset >= range.end) break;
  }
  return out;
}
