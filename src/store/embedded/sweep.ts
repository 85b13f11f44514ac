/**
 * Removes blobs nothing references any more. It runs inside a write transaction and deletes
 * the files before committing: a concurrent PendingBlob.commit() in another process (which
 * registers its row first, under the same write lock) either refreshes the row before the
 * sweep reads it, or runs after the sweep and finds no file, so it links its own. An inline
 * blob goes with its row; a commit that references the same bytes staged stores them anew. A
 * blob that a composite names (composite-blobs.ts) is referenced like one a message names.
 */
import { closeSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';
import type { StoreContext } from './context';
import { blobDir, blobPath } from './blob-files';
import { BLOB_KIND_SQL, type BlobKind } from './inline-blobs';

export const DEFAULT_BLOB_GRACE_MS = 60 * 60 * 1000;

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function sweepBlobs(ctx: StoreContext, olderThanMs = DEFAULT_BLOB_GRACE_MS): Promise<{ removed: number; bytes: number }> {
  const { db } = ctx;
  // A batch of its own: it removes files inside its transaction.
  return ctx.writer.submit({ alone: true, run: () => {
    const cutoff = ctx.now().getTime() - olderThanMs;
    const rows = db.all<{ hash: string; size: number; kind: BlobKind }>(
      `SELECT hash, size, ${BLOB_KIND_SQL} AS kind FROM blobs b WHERE touched_at < ?
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_hash = b.hash)
         AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.blob_hash = b.hash)
         AND NOT EXISTS (SELECT 1 FROM blob_parts p WHERE p.ref_hash = b.hash)`,
      cutoff,
    );
    const dirs = new Set<string>();
    let bytes = 0;
    for (const r of rows) {
      if (r.kind === 'inline') db.run('DELETE FROM blob_data WHERE hash = ?', r.hash);
      // A composite's parts go with it; the blobs they name are swept once nothing else holds them.
      if (r.kind === 'composite') db.run('DELETE FROM blob_parts WHERE hash = ?', r.hash);
      db.run('DELETE FROM blobs WHERE hash = ?', r.hash);
      bytes += r.size;
      const file = blobPath(ctx.paths.blobsDir, r.hash);
      // A file blob's file, or one a racing writer made for bytes stored otherwise. A file row
      // registered just before a crash may have none, nor even its directory: nothing to sync.
      if (!existsSync(file)) continue;
      rmSync(file, { force: true });
      dirs.add(blobDir(ctx.paths.blobsDir, r.hash));
    }
    // Unlinks durable before the rows go, so a crash never resurrects an unregistered file.
    for (const d of dirs) fsyncDirSync(d);
    if (rows.length > 0) ctx.logger.info({ removed: rows.length, bytes }, 'swept unreferenced blobs');
    return { removed: rows.length, bytes };
  } });
}
