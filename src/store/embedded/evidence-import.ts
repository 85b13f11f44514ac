/**
 * Schema 4 step: copies every evidence row into the new table with its XML read from the
 * archive file it names. Runs inside the migration's transaction, so a crash leaves schema 3
 * (and its files) as they were. The files are kept in place, never changed: the database copy
 * is authoritative from now on and the files are a read-only record of the past. A file that
 * is missing or does not match its recorded digest is not imported (the row keeps naming it,
 * `xml` stays NULL): the integrity check reports it exactly as it did before the upgrade.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqliteDb } from './database';
import { isErrno } from './files';
import { sha256Hex } from '../../common/hash';

interface OldEvidenceRow {
  seq: number;
  file: string;
  xml_hash: string;
}

const COLUMNS =
  'seq, id, unique_key, type, event, message_id, recipient_index, reason_code, account_id, event_time, created_at, xml_hash, xml_size, file';

function readArchived(archiveDir: string, row: OldEvidenceRow): Buffer | null {
  let xml: Buffer;
  try {
    xml = readFileSync(join(archiveDir, row.file));
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'EISDIR')) return null;
    throw err;
  }
  return sha256Hex(xml) === row.xml_hash ? xml : null;
}

export function importArchiveFiles(db: SqliteDb, env: { archiveDir: string }): void {
  const page = db.raw.prepare('SELECT seq, file, xml_hash FROM evidence WHERE seq > ? ORDER BY seq LIMIT 256');
  const copy = db.raw.prepare(`INSERT INTO evidence_v4 (${COLUMNS}, xml) SELECT ${COLUMNS}, ? FROM evidence WHERE seq = ?`);
  // Page by page: the archive can be larger than memory.
  for (let after = 0; ; ) {
    const rows = page.all(after) as OldEvidenceRow[];
    if (rows.length === 0) return;
    for (const row of rows) copy.run(readArchived(env.archiveDir, row), row.seq);
    after = rows[rows.length - 1].seq;
  }
}
