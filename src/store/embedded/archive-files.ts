/**
 * Evidence archive files `archive/<yyyy>/<mm>/<id>.xml`: written once (exclusive create of a
 * complete, fsynced file) and never rewritten. Only a file whose commit failed (no index row
 * ever named it) is removed again, so the archive holds no signed evidence that was not issued.
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

/** A temp file's label naming the archive path it is staged for (`2025/05/<name>.xml` → `2025+05+<name>.xml`). */
export function stagingLabel(rel: string): string {
  return rel.split('/').join('+');
}

export function relativePathOfLabel(label: string): string {
  return label.split('+').join('/');
}

/**
 * An evidence file linked into the archive ahead of its index row. `temp` (a second link to
 * the same file, in tmp/, named after `rel`) stays until the commit's outcome is known, so a
 * crash in between leaves a record of the unfinished commit that the next open resolves
 * (archive-recovery.ts). `temp` is absent when an identical file was already there.
 */
export interface StagedEvidenceFile {
  rel: string;
  temp?: string;
}

/**
 * Writes the evidence XML durably into the archive and returns where. An existing file with
 * the same bytes is reused (a replay); a different file of the same name is kept and a new
 * name taken.
 */
export async function stageEvidenceFile(ctx: StoreContext, id: string, eventTime: Date, xml: Buffer): Promise<StagedEvidenceFile> {
  const first = evidenceRelativePath(id, eventTime);
  const dir = dirname(join(ctx.paths.archiveDir, first));
  await ensureDirDurable(dir);
  for (let attempt = 0; ; attempt++) {
    const rel = evidenceRelativePath(id, eventTime, attempt);
    const target = join(ctx.paths.archiveDir, rel);
    if (await fileExists(target)) {
      if (await hasContent(target, xml)) return { rel };
      continue;
    }
    const temp = tempFilePath(ctx.paths.tmpDir, 'evidence', stagingLabel(rel));
    let linked = false;
    try {
      await writeNewFileSynced(temp, xml);
      // The temp's directory entry is durable before the archive's: never an archive file without it.
      await fsyncDir(ctx.paths.tmpDir);
      await fs.link(temp, target);
      linked = true;
      await fsyncDir(dir);
      return { rel, temp };
    } catch (err) {
      // Should the archive link stay, so does the temp: the next open removes both.
      const unlinked = linked ? await removeIfExists(target).then(() => true, () => false) : true;
      if (unlinked) await removeIfExists(temp).catch(() => undefined);
      if (isErrno(err, 'EEXIST')) continue;
      throw err;
    }
  }
}

/**
 * After the commit: the file stays in the archive only if an index row names it. Archive
 * links go first (durably), the temp last, so a crash midway is resolved by the next open.
 */
export async function settleStagedFiles(ctx: StoreContext, staged: Array<{ file: StagedEvidenceFile; indexed: boolean }>): Promise<void> {
  const dirs = new Set<string>();
  for (const { file, indexed } of staged) {
    if (indexed || !file.temp) continue;
    const target = join(ctx.paths.archiveDir, file.rel);
    await removeIfExists(target);
    dirs.add(dirname(target));
  }
  for (const d of dirs) await fsyncDir(d);
  for (const { file } of staged) if (file.temp) await removeIfExists(file.temp);
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
