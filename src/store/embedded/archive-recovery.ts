/**
 * Resolves evidence files whose commit a crash interrupted. Each staged file has a temp link in
 * tmp/ named after its archive path until the commit's outcome is known (archive-files.ts); a
 * temp left by a process that is gone means the outcome was never settled: the file stays in
 * the archive if an index row names it, and is removed otherwise (it was never issued). Runs
 * when the store opens, before stale temp files are deleted.
 */
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StoreContext } from './context';
import { relativePathOfLabel } from './archive-files';
import { fsyncDir, isErrno, removeIfExists } from './files';
import { isStaleTempFile, tempFileParts } from './temp-files';

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Returns how many unissued evidence files were removed from the archive. */
export async function recoverStagedEvidence(ctx: StoreContext): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(ctx.paths.tmpDir)) {
    const parts = tempFileParts(name);
    if (parts?.purpose !== 'evidence' || parts.label === undefined || !isStaleTempFile(name)) continue;
    const rel = relativePathOfLabel(parts.label);
    const temp = join(ctx.paths.tmpDir, name);
    const target = join(ctx.paths.archiveDir, rel);
    const indexed = ctx.db.get('SELECT 1 FROM evidence WHERE file = ? LIMIT 1', rel) !== undefined;
    if (!indexed && (await sameFile(temp, target))) {
      await removeIfExists(target);
      await fsyncDir(dirname(target));
      removed++;
    }
    await removeIfExists(temp);
  }
  if (removed > 0) ctx.logger.info({ removed }, 'removed evidence files of commits a crash interrupted');
  return removed;
}
