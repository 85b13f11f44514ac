/**
 * Removes blobs nothing references any more. It runs inside a write transaction and deletes
 * the files before committing: a concurrent PendingBlob.commit() in another process (which
 * registers its row first, under the same write lock) either refreshes the row before the
 * sweep reads it, or runs after the sweep and finds no file, so it links its own.
 */
import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import type { StoreContext } from './context';
import { blobDir, blobPath } from './blob-files';

export const DEFAULT_BLOB_GRACE_MS = 60 * 60 * 1000;

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function sweepBlobs(ctx: StoreContext, olderThanMs = DEFAULT_BLOB_GRACE_MS): { removed: number; bytes: number } {
  const { db } = ctx;
  return db.write(() => {
    const cutoff = ctx.now().getTime() - olderThanMs;
    const rows = db.all<{ hash: string; size: number }>(
      `SELECT hash, size FROM blobs b WHERE touched_at < ?
         AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.blob_hash = b.hash)
         AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.blob_hash = b.hash)`,
      cutoff,
    );
    const dirs = new Set<string>();
    let bytes = 0;
    for (const r of rows) {
      db.run('DELETE FROM blobs WHERE hash = ?', r.hash);
      rmSync(blobPath(ctx.paths.blobsDir, r.hash), { force: true });
      dirs.add(blobDir(ctx.paths.blobsDir, r.hash));
      bytes += r.size;
    }
    // Unlinks durable before the rows go, so a crash never resurrects an unregistered file.
    for (const d of dirs) fsyncDirSync(d);
    if (rows.length > 0) ctx.logger.info({ removed: rows.length, bytes }, 'swept unreferenced blobs');
    return { removed: rows.length, bytes };
  });
}
