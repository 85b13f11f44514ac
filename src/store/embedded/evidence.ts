/**
 * Evidence archive: the XML file is written and fsynced first (outside any transaction), the
 * index row follows in the commit. Rows are append-only (enforced by triggers); nothing that
 * happens to mailboxes or messages reaches this table or these files.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceArchive, EvidenceRecord, NewEvidence } from '../types';
import { isEvidenceType } from '../../evidence/model';
import { ConflictError } from '../../errors';
import { InvalidStoreInput, StoredDataCorrupt } from '../errors';
import type { StoreContext } from './context';
import { sha256Hex, stageEvidenceFile, type StagedEvidenceFile } from './archive-files';
import { isErrno } from './files';
import { toEvidence, type EvidenceRow } from './rows';
import type { SqlParam } from './database';

/** Result of the file phase of putEvidence. */
export type PreparedEvidence =
  | { kind: 'existing' }
  | { kind: 'written'; file: string; xmlHash: string; xmlSize: number; staged: StagedEvidenceFile };

function findByKey(ctx: StoreContext, key: string): EvidenceRow | undefined {
  return ctx.db.get<EvidenceRow>('SELECT * FROM evidence WHERE unique_key = ?', key);
}

function findById(ctx: StoreContext, id: string): EvidenceRow | undefined {
  return ctx.db.get<EvidenceRow>('SELECT * FROM evidence WHERE id = ?', id);
}

function validate(ev: NewEvidence): void {
  const r = ev.record;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 512) throw new InvalidStoreInput('evidence id must be 1 to 512 characters');
  if (!isEvidenceType(r.type)) throw new InvalidStoreInput(`unknown evidence type ${String(r.type)}`);
  if (!(r.eventTime instanceof Date) || Number.isNaN(r.eventTime.getTime())) throw new InvalidStoreInput('evidence eventTime is not a valid date');
  if (!Buffer.isBuffer(ev.xml) || ev.xml.length === 0) throw new InvalidStoreInput('evidence XML is empty');
}

/** An existing row for this evidence (by key, or the same id with the same bytes), if any. */
function existingFor(ctx: StoreContext, ev: NewEvidence, xmlHash: string): EvidenceRow | undefined {
  if (ev.uniqueKey !== undefined) {
    const byKey = findByKey(ctx, ev.uniqueKey);
    if (byKey) return byKey;
  }
  const byId = findById(ctx, ev.record.id);
  if (byId && byId.xml_hash !== xmlHash) throw new ConflictError(`evidence ${ev.record.id} already exists with other content`);
  return byId;
}

/** File phase: makes the XML durable in the archive unless the evidence is already indexed (commit.ts settles it). */
export async function prepareEvidence(ctx: StoreContext, ev: NewEvidence): Promise<PreparedEvidence> {
  validate(ev);
  const xmlHash = sha256Hex(ev.xml);
  if (existingFor(ctx, ev, xmlHash)) return { kind: 'existing' };
  const staged = await stageEvidenceFile(ctx, ev.record.id, ev.record.eventTime, ev.xml);
  return { kind: 'written', file: staged.rel, xmlHash, xmlSize: ev.xml.length, staged };
}

/** Index phase, inside the commit's transaction. */
export function putEvidenceInTx(ctx: StoreContext, ev: NewEvidence, prepared: PreparedEvidence): { created: boolean; record: EvidenceRecord } {
  const xmlHash = prepared.kind === 'written' ? prepared.xmlHash : sha256Hex(ev.xml);
  const existing = existingFor(ctx, ev, xmlHash);
  if (existing) return { created: false, record: toEvidence(existing) };
  // Rows are never deleted, so "existing" in the file phase is still existing here.
  if (prepared.kind !== 'written') throw new Error(`evidence ${ev.record.id} vanished from the index`);
  const r = ev.record;
  ctx.db.run(
    `INSERT INTO evidence (id, unique_key, type, event, message_id, recipient_index, reason_code, account_id,
                           event_time, created_at, xml_hash, xml_size, file)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.id,
    ev.uniqueKey ?? null,
    r.type,
    r.event,
    r.messageId ?? null,
    r.recipientIndex ?? null,
    r.reasonCode ?? null,
    r.accountId ?? null,
    r.eventTime.getTime(),
    ctx.now().getTime(),
    prepared.xmlHash,
    prepared.xmlSize,
    prepared.file,
  );
  return { created: true, record: toEvidence(findById(ctx, r.id)!) };
}

export class EmbeddedEvidenceArchive implements EvidenceArchive {
  constructor(private readonly ctx: StoreContext) {}

  /** The record and its XML; StoredDataCorrupt when the file is missing or not what was archived. */
  async get(id: string): Promise<{ record: EvidenceRecord; xml: Buffer } | undefined> {
    const row = findById(this.ctx, id);
    if (!row) return undefined;
    let xml: Buffer;
    try {
      xml = await fs.readFile(join(this.ctx.paths.archiveDir, row.file));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new StoredDataCorrupt(`archive file of evidence ${id} is missing`);
      throw err;
    }
    if (sha256Hex(xml) !== row.xml_hash) throw new StoredDataCorrupt(`archive file of evidence ${id} does not match its recorded digest`);
    return { record: toEvidence(row), xml };
  }

  async getByKey(uniqueKey: string): Promise<EvidenceRecord | undefined> {
    const row = findByKey(this.ctx, uniqueKey);
    return row && toEvidence(row);
  }

  async list(filter: { messageId?: string; accountId?: string; limit?: number } = {}): Promise<EvidenceRecord[]> {
    const where: string[] = [];
    const params: SqlParam[] = [];
    if (filter.messageId !== undefined) {
      where.push('message_id = ?');
      params.push(filter.messageId);
    }
    if (filter.accountId !== undefined) {
      where.push('account_id = ?');
      params.push(filter.accountId);
    }
    const limit = filter.limit ?? -1;
    const sql = `SELECT * FROM evidence ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return this.ctx.db.all<EvidenceRow>(sql, ...params, limit).map(toEvidence);
  }
}
