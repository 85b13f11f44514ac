/** Message rows inside a write transaction: append (with its idempotency key) and lookups. */
import type { MessageKind, MessageRecord, NewMessage } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import type { StoreContext } from './context';
import { assertBlobKey } from './blob-files';
import { normalizeFlags } from './flags';
import { newId } from './ids';
import { allocateUids, insertJournal, resolveTargetMailbox } from './mailbox-writes';
import { MESSAGE_COLUMNS, messageFromJson, messageToJson, toMessage, type MessageRow } from './rows';

const KINDS: ReadonlySet<MessageKind> = new Set<MessageKind>(['dispatch', 'receipt', 'sent', 'appended']);

export function getMessageRow(ctx: StoreContext, id: string): MessageRow | undefined {
  return ctx.db.get<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`, id);
}

/** Messages of a mailbox among `uids` (all when undefined), by uid. */
export function selectMessageRows(ctx: StoreContext, mailboxId: string, uids?: readonly number[]): MessageRow[] {
  if (uids === undefined) {
    return ctx.db.all<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox_id = ? ORDER BY uid`, mailboxId);
  }
  // One cached statement for any number of uids (no variable-count IN lists).
  return ctx.db.all<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`,
    mailboxId,
    JSON.stringify(uids),
  );
}

function validate(m: NewMessage): void {
  assertBlobKey(m.blob.hash);
  if (!KINDS.has(m.kind)) throw new InvalidStoreInput(`invalid message kind ${String(m.kind)}`);
  if (m.recipientIndex !== undefined && (!Number.isSafeInteger(m.recipientIndex) || m.recipientIndex < 1)) {
    throw new InvalidStoreInput(`invalid recipient index ${String(m.recipientIndex)}`);
  }
}

function existingForKey(ctx: StoreContext, key: string): MessageRecord | undefined {
  const k = ctx.db.get<{ message_id: string; record: string }>('SELECT message_id, record FROM message_keys WHERE key = ?', key);
  if (!k) return undefined;
  // The first message may since have been moved or expunged: current state if it exists, else as appended.
  const row = getMessageRow(ctx, k.message_id);
  return row ? toMessage(row) : messageFromJson(k.record);
}

export interface AppendResult {
  created: boolean;
  message: MessageRecord;
}

/** One row into `messages`, as given (the callers build it whole). */
function insertRow(ctx: StoreContext, row: MessageRow, now: Date): void {
  ctx.db.run(
    `INSERT INTO messages (${MESSAGE_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id,
    row.mailbox_id,
    row.account_id,
    row.uid,
    row.modseq,
    row.flags,
    row.internal_date,
    row.size,
    row.blob_hash,
    row.kind,
    row.provider_message_id,
    row.recipient_index,
    row.evidence_id,
    row.meta,
    now.getTime(),
  );
}

/** Appends one message; call inside a write transaction. */
export function appendInTx(ctx: StoreContext, m: NewMessage): AppendResult {
  validate(m);
  if (m.dedupeKey !== undefined) {
    const existing = existingForKey(ctx, m.dedupeKey);
    if (existing) return { created: false, message: existing };
  }
  const { db } = ctx;
  const mailbox = resolveTargetMailbox(ctx, m.accountId, m.mailboxPath);
  const blob = db.get<{ size: number }>('SELECT size FROM blobs WHERE hash = ?', m.blob.hash);
  if (!blob) throw new BlobNotFound(m.blob.hash);
  if (blob.size !== m.blob.size) throw new InvalidStoreInput(`blob ${m.blob.hash} has ${blob.size} bytes, not ${m.blob.size}`);

  const flags = normalizeFlags(m.flags ?? []);
  const { firstUid: uid, modseq } = allocateUids(ctx, mailbox.id, 1);
  const now = ctx.now();
  // The row as inserted (read back it would be the same; one statement less per append).
  const row: MessageRow = {
    id: newId(now),
    mailbox_id: mailbox.id,
    account_id: m.accountId,
    uid,
    modseq,
    flags: JSON.stringify(flags),
    internal_date: (m.internalDate ?? now).getTime(),
    size: m.blob.size,
    blob_hash: m.blob.hash,
    kind: m.kind,
    provider_message_id: m.providerMessageId ?? null,
    recipient_index: m.recipientIndex ?? null,
    evidence_id: m.evidenceId ?? null,
    meta: null,
  };
  insertRow(ctx, row, now);
  insertJournal(ctx, { mailboxId: mailbox.id, modseq, command: 'EXISTS', uid, messageId: row.id, flags });
  const message = toMessage(row);
  if (m.dedupeKey !== undefined) {
    db.run(
      'INSERT INTO message_keys (key, message_id, record, created_at) VALUES (?, ?, ?, ?)',
      m.dedupeKey,
      row.id,
      messageToJson(message),
      now.getTime(),
    );
  }
  return { created: true, message };
}

/** Inserts a copy of `source` into another mailbox of the same account at `uid`. */
export function insertCopyInTx(ctx: StoreContext, source: MessageRow, targetMailboxId: string, uid: number, modseq: number): string {
  const now = ctx.now();
  const id = newId(now);
  // A copy keeps what makes a dispatch a dispatch (kind, provider id, recipient, evidence).
  insertRow(ctx, { ...source, id, mailbox_id: targetMailboxId, uid, modseq }, now);
  insertJournal(ctx, { mailboxId: targetMailboxId, modseq, command: 'EXISTS', uid, messageId: id, flags: JSON.parse(source.flags) as string[] });
  return id;
}
