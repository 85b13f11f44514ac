/**
 * Integrity check: the database's own check plus every cross-reference between the index
 * and the files, and the digest of everything stored by hash (inline blobs, evidence XML).
 * Other processes may be writing meanwhile, so each file-level finding is confirmed against
 * the current index before it is reported.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { IntegrityReport } from '../types';
import { durable, type StoreContext } from './context';
import { blobPath, contentHashOf, isBlobKey } from './blob-files';
import { sha256Hex } from '../../common/hash';
import { isErrno } from './files';
import { isStaleTempFile } from './temp-files';

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function checkDatabase(ctx: StoreContext, problems: string[]): void {
  const raw = ctx.db.raw;
  for (const row of raw.pragma('integrity_check') as { integrity_check: string }[]) {
    if (row.integrity_check !== 'ok') problems.push(`database: ${row.integrity_check}`);
  }
  for (const row of raw.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]) {
    problems.push(`database: ${row.table} row ${row.rowid} refers to a missing ${row.parent}`);
  }
}

function checkCounters(ctx: StoreContext, problems: string[]): void {
  const { db } = ctx;
  db.read(() => {
    for (const r of db.all<{ address: string; used_bytes: number; actual: number }>(
      `SELECT a.address, a.used_bytes, coalesce((SELECT sum(size) FROM messages m WHERE m.account_id = a.id), 0) AS actual
       FROM accounts a WHERE a.used_bytes != actual`,
    )) {
      problems.push(`account ${r.address}: usage counter ${r.used_bytes} != ${r.actual} bytes stored`);
    }
    for (const r of db.all<{ id: string; path: string; uid_next: number; max_uid: number; modify_index: number; max_modseq: number }>(
      `SELECT b.id, b.path, b.uid_next, max(m.uid) AS max_uid, b.modify_index, max(m.modseq) AS max_modseq
       FROM mailboxes b JOIN messages m ON m.mailbox_id = b.id GROUP BY b.id
       HAVING max_uid >= b.uid_next OR max_modseq > b.modify_index`,
    )) {
      problems.push(`mailbox ${r.id} (${r.path}): uidNext ${r.uid_next} / modifyIndex ${r.modify_index} behind uid ${r.max_uid} / modseq ${r.max_modseq}`);
    }
    for (const r of db.all<{ id: string }>(
      'SELECT m.id FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id != m.account_id',
    )) {
      problems.push(`message ${r.id}: account differs from its mailbox's account`);
    }
  });
}

function isReferenced(ctx: StoreContext, hash: string): boolean {
  return (
    ctx.db.get(
      `SELECT 1 FROM messages WHERE blob_hash = ? UNION ALL SELECT 1 FROM submissions WHERE blob_hash = ?
       UNION ALL SELECT 1 FROM blob_parts WHERE ref_hash = ? LIMIT 1`,
      hash,
      hash,
      hash,
    ) !== undefined
  );
}

async function checkReferencedBlobs(ctx: StoreContext, problems: string[]): Promise<void> {
  const refs = ctx.db.all<{ hash: string; size: number; inline_size: number | null; composite_size: number | null }>(
    `SELECT r.hash, r.size, (SELECT length(d.data) FROM blob_data d WHERE d.hash = r.hash) AS inline_size,
       (SELECT sum(p.size) FROM blob_parts p WHERE p.hash = r.hash) AS composite_size
     FROM (SELECT DISTINCT blob_hash AS hash, size FROM messages UNION SELECT blob_hash, blob_size FROM submissions
           UNION SELECT ref_hash, size FROM blob_parts WHERE ref_hash IS NOT NULL) r`,
  );
  for (const ref of refs) {
    if (ref.inline_size !== null) {
      if (ref.inline_size !== ref.size) problems.push(`blob ${ref.hash}: ${ref.inline_size} bytes stored inline, ${ref.size} recorded`);
      continue;
    }
    if (ref.composite_size !== null) {
      if (ref.composite_size !== ref.size) problems.push(`blob ${ref.hash}: its parts hold ${ref.composite_size} bytes, ${ref.size} recorded`);
      continue;
    }
    const size = await fileSize(blobPath(ctx.paths.blobsDir, ref.hash));
    if (size === ref.size || !isReferenced(ctx, ref.hash)) continue;
    problems.push(size === undefined ? `blob ${ref.hash}: referenced but missing` : `blob ${ref.hash}: ${size} bytes on disk, ${ref.size} recorded`);
  }
}

/** Every inline blob is the bytes its hash names; unreferenced ones past the grace period await the sweep. */
function checkInlineBlobs(ctx: StoreContext, graceMs: number, problems: string[]): void {
  const cutoff = ctx.now().getTime() - graceMs;
  const page = `SELECT d.hash, d.data, b.size, b.touched_at FROM blob_data d JOIN blobs b ON b.hash = d.hash WHERE d.hash > ? ORDER BY d.hash LIMIT 64`;
  for (let after = ''; ; ) {
    const rows = ctx.db.all<{ hash: string; data: Buffer; size: number; touched_at: number }>(page, after);
    if (rows.length === 0) return;
    for (const r of rows) {
      if (r.data.length !== r.size) problems.push(`blob ${r.hash} (inline): ${r.data.length} bytes stored, ${r.size} recorded`);
      else if (sha256Hex(r.data) !== contentHashOf(r.hash)) problems.push(`blob ${r.hash} (inline): stored bytes do not match their SHA-256`);
      if (r.touched_at < cutoff && !isReferenced(ctx, r.hash)) problems.push(`blob ${r.hash} (inline): unreferenced (awaiting sweep)`);
    }
    after = rows[rows.length - 1].hash;
  }
}

/**
 * Every composite's parts add up to its recorded size, each literal part holds the bytes it
 * counts, and an unreferenced one past the grace period awaits the sweep. (Its digest is not
 * recomputed: that reads the blobs it names, which for file blobs the check only sizes.)
 */
function checkCompositeBlobs(ctx: StoreContext, graceMs: number, problems: string[]): void {
  const cutoff = ctx.now().getTime() - graceMs;
  const rows = ctx.db.all<{ hash: string; size: number; touched_at: number; parts: number; bad_literals: number }>(
    `SELECT b.hash, b.size, b.touched_at, sum(p.size) AS parts,
       sum(p.data IS NOT NULL AND length(p.data) != p.size) AS bad_literals
     FROM blob_parts p JOIN blobs b ON b.hash = p.hash GROUP BY b.hash`,
  );
  for (const r of rows) {
    if (r.parts !== r.size) problems.push(`blob ${r.hash} (composite): its parts hold ${r.parts} bytes, ${r.size} recorded`);
    if (r.bad_literals > 0) problems.push(`blob ${r.hash} (composite): a literal part's bytes differ from its recorded size`);
    if (r.touched_at < cutoff && !isReferenced(ctx, r.hash)) problems.push(`blob ${r.hash} (composite): unreferenced (awaiting sweep)`);
  }
}

/** Evidence XML in the database matches its digest; a row not imported from its file is checked against the file. */
async function checkEvidence(ctx: StoreContext, problems: string[]): Promise<void> {
  const page = 'SELECT seq, id, xml, file, xml_hash, xml_size FROM evidence WHERE seq > ? ORDER BY seq LIMIT 256';
  for (let after = 0; ; ) {
    const rows = ctx.db.all<{ seq: number; id: string; xml: Buffer | null; file: string | null; xml_hash: string; xml_size: number }>(page, after);
    if (rows.length === 0) return;
    for (const r of rows) {
      if (r.xml !== null) {
        if (r.xml.length !== r.xml_size || sha256Hex(r.xml) !== r.xml_hash) problems.push(`evidence ${r.id}: archived XML does not match its recorded SHA-256`);
      } else if (r.file !== null) {
        await checkEvidenceFile(ctx, r.id, r.file, r.xml_hash, problems);
      }
    }
    after = rows[rows.length - 1].seq;
  }
}

async function checkEvidenceFile(ctx: StoreContext, id: string, file: string, xmlHash: string, problems: string[]): Promise<void> {
  let data: Buffer;
  try {
    data = await fs.readFile(join(ctx.paths.archiveDir, file));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    problems.push(`evidence ${id}: archive file ${file} missing`);
    return;
  }
  if (sha256Hex(data) !== xmlHash) problems.push(`evidence ${id}: archive file ${file} does not match its recorded SHA-256`);
}

async function checkTempFiles(ctx: StoreContext, problems: string[]): Promise<void> {
  for (const name of await listDir(ctx.paths.tmpDir)) {
    if (isStaleTempFile(name)) problems.push(`temp file ${name}: left over by a process that is gone`);
  }
}

async function checkBlobFiles(ctx: StoreContext, graceMs: number, problems: string[]): Promise<void> {
  const cutoff = ctx.now().getTime() - graceMs;
  for (const dir of await listDir(ctx.paths.blobsDir)) {
    for (const name of await listDir(join(ctx.paths.blobsDir, dir))) {
      const path = join(ctx.paths.blobsDir, dir, name);
      if (!isBlobKey(name) || name.slice(0, 2) !== dir) {
        problems.push(`blob file ${dir}/${name}: not a blob name`);
        continue;
      }
      const row = ctx.db.get<{ touched_at: number }>('SELECT touched_at FROM blobs WHERE hash = ?', name);
      if (!row) {
        // A concurrent sweep may have removed row and file since the listing.
        if ((await fileSize(path)) !== undefined) problems.push(`blob file ${name}: not registered in the index`);
        continue;
      }
      if (row.touched_at < cutoff && !isReferenced(ctx, name)) problems.push(`blob file ${name}: unreferenced (awaiting sweep)`);
    }
  }
}

export async function checkIntegrity(ctx: StoreContext, options: { blobGraceMs: number }): Promise<IntegrityReport> {
  const problems: string[] = [];
  await durable(ctx);
  checkDatabase(ctx, problems);
  checkCounters(ctx, problems);
  await checkReferencedBlobs(ctx, problems);
  checkInlineBlobs(ctx, options.blobGraceMs, problems);
  checkCompositeBlobs(ctx, options.blobGraceMs, problems);
  await checkEvidence(ctx, problems);
  await checkTempFiles(ctx, problems);
  await checkBlobFiles(ctx, options.blobGraceMs, problems);
  return { ok: problems.length === 0, problems };
}
