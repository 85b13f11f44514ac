/**
 * Evidence archive: one append-only table (triggers refuse UPDATE and DELETE) holds the index
 * row, the signed XML exactly as issued and, when given, the JSON it was rendered from; the
 * row is written in the transaction of the commit that issues the evidence. Nothing that
 * happens to mailboxes or messages reaches this table. Evidence archived as files by schema
 * versions before 4 was imported (evidence-import.ts); a row the import could not fill still
 * names its file, which is then read as before.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceArchive, EvidenceRecord, JsonObject, NewEvidence } from '../types';
import { isEvidenceType } from '../../evidence/model';
import { ConflictError } from '../../errors';
import { InvalidStoreInput, StoredDataCorrupt } from '../errors';
import { durable, type StoreContext } from './context';
import { sha256Hex } from '../../common/hash';
import { isErrno } from './files';
import { EVIDENCE_COLUMNS, toEvidence, type EvidenceRow } from './rows';
import type { SqlParam } from './database';

/** What the commit computes before its transaction: the digest of the XML. */
export interface PreparedEvidence {
  xmlHash: string;
}

function findByKey(ctx: StoreContext, key: string): EvidenceRow | undefined {
  return ctx.db.get<EvidenceRow>(`SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE unique_key = ?`, key);
}

function findById(ctx: StoreContext, id: string): EvidenceRow | undefined {
  return ctx.db.get<EvidenceRow>(`SELECT ${EVIDENCE_COLUMNS} FROM evidence WHERE id = ?`, id);
}

function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validate(ev: NewEvidence): void {
  const r = ev.record;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 512) throw new InvalidStoreInput('evidence id must be 1 to 512 characters');
  if (!isEvidenceType(r.type)) throw new InvalidStoreInput(`unknown evidence type ${String(r.type)}`);
  if (!(r.eventTime instanceof Date) || Number.isNaN(r.eventTime.getTime())) throw new InvalidStoreInput('evidence eventTime is not a valid date');
  if (!Buffer.isBuffer(ev.xml) || ev.xml.length === 0) throw new InvalidStoreInput('evidence XML is empty');
  if (ev.data !== undefined && !isJsonObject(ev.data)) throw new InvalidStoreInput('evidence data must be a JSON object');
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

/** Before the transaction: checks the input and hashes the XML (no I/O). */
export function prepareEvidence(ev: NewEvidence): PreparedEvidence {
  validate(ev);
  return { xmlHash: sha256Hex(ev.xml) };
}

/** Inside the commit's transaction: the row with its XML, unless the evidence is archived already. */
export function putEvidenceInTx(ctx: StoreContext, ev: NewEvidence, prepared: PreparedEvidence): { created: boolean; record: EvidenceRecord } {
  const r = ev.record;
  // Insert first: an evidence is nearly always new, and the uniqueness of id and unique_key
  // says when it is not (two lookups fewer per evidence than asking first).
  const row = ctx.db.get<EvidenceRow>(
    `INSERT INTO evidence (id, unique_key, type, event, message_id, recipient_index, reason_code, account_id,
                           event_time, created_at, xml_hash, xml_size, xml, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING
     RETURNING ${EVIDENCE_COLUMNS}`,
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
    ev.xml.length,
    ev.xml,
    ev.data === undefined ? null : JSON.stringify(ev.data),
  );
  if (row) return { created: true, record: toEvidence(row) };
  const existing = existingFor(ctx, ev, prepared.xmlHash);
  if (existing) return { created: false, record: toEvidence(existing) };
  // Unreachable while id and unique_key are the table's only unique columns.
  throw new ConflictError(`evidence ${r.id} conflicts with an archived evidence`);
}

interface StoredXml {
  xml: Buffer | null;
  data: string | null;
  file: string | null;
  xml_hash: string;
}

/** A file of an evidence archived before schema 4 that the upgrade could not import. */
async function readArchiveFile(ctx: StoreContext, id: string, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(join(ctx.paths.archiveDir, file));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new StoredDataCorrupt(`archive file of evidence ${id} is missing`);
    throw err;
  }
}

export class EmbeddedEvidenceArchive implements EvidenceArchive {
  constructor(private readonly ctx: StoreContext) {}

  /** The record, its XML and its data; StoredDataCorrupt when the XML is not what was archived. */
  async get(id: string): Promise<{ record: EvidenceRecord; xml: Buffer; data?: JsonObject } | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<EvidenceRow & StoredXml>(`SELECT ${EVIDENCE_COLUMNS}, xml, data, file FROM evidence WHERE id = ?`, id);
    if (!row) return undefined;
    const stored = row;
    const xml = stored.xml ?? (stored.file !== null ? await readArchiveFile(this.ctx, id, stored.file) : undefined);
    // The digest is checked on every read: the archive's bytes are what the evidence proves.
    if (!xml || sha256Hex(xml) !== stored.xml_hash) throw new StoredDataCorrupt(`archived XML of evidence ${id} does not match its recorded digest`);
    const result: { record: EvidenceRecord; xml: Buffer; data?: JsonObject } = { record: toEvidence(row), xml };
    if (stored.data !== null) result.data = JSON.parse(stored.data) as JsonObject;
    return result;
  }

  async getByKey(uniqueKey: string): Promise<EvidenceRecord | undefined> {
    await durable(this.ctx);
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
    await durable(this.ctx);
    const sql = `SELECT ${EVIDENCE_COLUMNS} FROM evidence ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`;
    return this.ctx.db.all<EvidenceRow>(sql, ...params, limit).map(toEvidence);
  }
}
