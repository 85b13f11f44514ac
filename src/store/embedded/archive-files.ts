/**
 * Evidence archive files `archive/<yyyy>/<mm>/<id>.xml`: written once (exclusive create of a
 * complete, fsynced file) and never rewritten or removed.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StoreContext } from './context';
import { ensureDirDurable, fsyncDir, isErrno, removeIfExists, writeNewFileSynced } from './files';
import { tempFilePath } from './temp-files';

const MAX_NAME = 180;

/**
 * A file name for an evidence id: letters, digits, '-' and '.' kept, every other byte written
 * as `_xx`, so distinct ids always give distinct names (`ev-01JD@kep.tr` → `ev-01JD_40kep.tr`).
 */
export function evidenceFileName(id: string): string {
  let out = '';
  for (const byte of Buffer.from(id, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) || (c === '.' && out.length > 0) ? c : '_' + byte.toString(16).padStart(2, '0');
  }
  // Very long ids keep a readable prefix plus a digest to stay unique and within NAME_MAX.
  if (out.length > MAX_NAME) out = out.slice(0, MAX_NAME - 17) + '~' + createHash('sha256').update(id).digest('hex').slice(0, 16);
  return out;
}

/** Path relative to the archive dir, placed by the evidence's event time (UTC). */
export function evidenceRelativePath(id: string, eventTime: Date, attempt = 0): string {
  const yyyy = String(eventTime.getUTCFullYear()).padStart(4, '0');
  const mm = String(eventTime.getUTCMonth() + 1).padStart(2, '0');
  const suffix = attempt === 0 ? '' : `~${attempt}`;
  return `${yyyy}/${mm}/${evidenceFileName(id)}${suffix}.xml`;
}

async function hasContent(path: string, data: Buffer): Promise<boolean> {
  const existing = await fs.readFile(path);
  return existing.equals(data);
}

/**
 * Writes the evidence XML durably and returns its path relative to the archive dir. An
 * existing file with the same bytes is reused (a replay); a different file of the same name
 * (left by an attempt that crashed before its index row) is kept and a new name taken.
 */
export async function writeEvidenceFile(ctx: StoreContext, id: string, eventTime: Date, xml: Buffer): Promise<string> {
  const first = evidenceRelativePath(id, eventTime);
  const dir = dirname(join(ctx.paths.archiveDir, first));
  await ensureDirDurable(dir);
  const temp = tempFilePath(ctx.paths.tmpDir, 'evidence');
  await writeNewFileSynced(temp, xml);
  try {
    for (let attempt = 0; ; attempt++) {
      const rel = evidenceRelativePath(id, eventTime, attempt);
      const target = join(ctx.paths.archiveDir, rel);
      try {
        await fs.link(temp, target);
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
        if (!(await hasContent(target, xml))) continue;
      }
      await fsyncDir(dir);
      return rel;
    }
  } finally {
    await removeIfExists(temp);
  }
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
