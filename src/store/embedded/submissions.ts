/** Submissions: the accepted originals every evidence is about. */
import type { SubmissionRecord, SubmissionRepo } from '../types';
import { ConflictError } from '../../errors';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { durable, type StoreContext } from './context';
import { assertBlobKey } from './blob-files';
import { toSubmission, type SubmissionRow } from './rows';
import { requireAccount } from './account-exists';

const ILETI_TIPS = new Set(['standart', 'eYazisma', 'eTebligat']);

function validate(s: SubmissionRecord): void {
  if (typeof s.id !== 'string' || s.id.length === 0) throw new InvalidStoreInput('submission id is empty');
  assertBlobKey(s.blob.hash);
  if (!Array.isArray(s.recipients) || s.recipients.length === 0) throw new InvalidStoreInput('submission has no recipients');
  if (!ILETI_TIPS.has(s.iletiTip)) throw new InvalidStoreInput(`invalid iletiTip ${String(s.iletiTip)}`);
}

/** Stores the submission; a replay of the same one is a no-op. Call inside a write transaction. */
export function putSubmissionInTx(ctx: StoreContext, s: SubmissionRecord): void {
  validate(s);
  const { db } = ctx;
  const existing = db.get<SubmissionRow>('SELECT * FROM submissions WHERE id = ?', s.id);
  if (existing) {
    if (existing.blob_hash !== s.blob.hash || existing.account_id !== s.accountId) {
      throw new ConflictError(`submission ${s.id} already exists with other content`);
    }
    return;
  }
  requireAccount(ctx, s.accountId);
  const blob = db.get<{ size: number }>('SELECT size FROM blobs WHERE hash = ?', s.blob.hash);
  if (!blob) throw new BlobNotFound(s.blob.hash);
  if (blob.size !== s.blob.size) throw new InvalidStoreInput(`blob ${s.blob.hash} has ${blob.size} bytes, not ${s.blob.size}`);
  db.run(
    `INSERT INTO submissions (id, account_id, sender, operator, recipients, blob_hash, blob_size, subject, ua_message_id,
                              ileti_tip, ileti_id, submitted_at, signer_cert, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    s.id,
    s.accountId,
    s.sender,
    s.operator ?? null,
    JSON.stringify(s.recipients),
    s.blob.hash,
    s.blob.size,
    s.subject,
    s.uaMessageId ?? null,
    s.iletiTip,
    s.iletiId ?? null,
    s.submittedAt.getTime(),
    s.signerCertificateDer ?? null,
    ctx.now().getTime(),
  );
}

export class EmbeddedSubmissionRepo implements SubmissionRepo {
  constructor(private readonly ctx: StoreContext) {}

  async get(id: string): Promise<SubmissionRecord | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<SubmissionRow>('SELECT * FROM submissions WHERE id = ?', id);
    return row && toSubmission(row);
  }

  /** Newest first. */
  async listByAccount(accountId: string, limit?: number): Promise<SubmissionRecord[]> {
    await durable(this.ctx);
    return this.ctx.db
      .all<SubmissionRow>('SELECT * FROM submissions WHERE account_id = ? ORDER BY submitted_at DESC, id DESC LIMIT ?', accountId, limit ?? -1)
      .map(toSubmission);
  }
}
