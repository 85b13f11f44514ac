/** Small file helpers for key and certificate files. */
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';

export async function fileExists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a file only if it does not exist, atomically: the content is written to a temp
 * file (with its final mode) and hard-linked into place, which fails if the name is taken.
 * Returns false when the file already existed (nothing is overwritten, even in a race).
 */
export async function writeFileIfMissing(path: string, data: string | Buffer, mode: number): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, data, { mode, flag: 'wx' });
  try {
    await fs.chmod(tmp, mode); // the umask may have narrowed or widened nothing we want
    const handle = await fs.open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
