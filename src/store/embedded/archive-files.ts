/**
 * Evidence archive files `archive/<yyyy>/<mm>/<id>.xml`, as schema versions before 4 wrote
 * them (one file per evidence, staged through a temp link in tmp/). Evidence now lives in the
 * database (evidence.ts); these names are what the import (evidence-import.ts) and the
 * recovery of a crash left by an older version (archive-recovery.ts) read.
 */
import { sha256Hex } from '../../common/hash';

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
  if (out.length > MAX_NAME) out = out.slice(0, MAX_NAME - 17) + '~' + sha256Hex(id).slice(0, 16);
  return out;
}

/** Path relative to the archive dir, placed by the evidence's event time (UTC). */
export function evidenceRelativePath(id: string, eventTime: Date, attempt = 0): string {
  const yyyy = String(eventTime.getUTCFullYear()).padStart(4, '0');
  const mm = String(eventTime.getUTCMonth() + 1).padStart(2, '0');
  const suffix = attempt === 0 ? '' : `~${attempt}`;
  return `${yyyy}/${mm}/${evidenceFileName(id)}${suffix}.xml`;
}

/** A temp file's label naming the archive path it is staged for (`2025/05/<name>.xml` → `2025+05+<name>.xml`). */
export function stagingLabel(rel: string): string {
  return rel.split('/').join('+');
}

export function relativePathOfLabel(label: string): string {
  return label.split('+').join('/');
}

