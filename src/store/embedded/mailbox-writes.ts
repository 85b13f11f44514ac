/** Mailbox rows inside a write transaction: creation, lookup, UID and modseq allocation. */
import { DEFAULT_MAILBOXES } from '../types';
import { ConflictError } from '../../errors';
import { MailboxNotFound } from '../errors';
import type { StoreContext } from './context';
import { newId } from './ids';
import { normalizeMailboxPath } from './mailbox-paths';
import type { MailboxRow } from './rows';
import { requireAccount } from './account-exists';

/**
 * A UIDVALIDITY never given before on this store: the current time in seconds, or one more
 * than the last one when the clock has not moved (or moved back). A re-created mailbox path
 * therefore always gets a new value, as IMAP requires.
 */
function nextUidValidity(ctx: StoreContext): number {
  const seconds = Math.floor(ctx.now().getTime() / 1000);
  const row = ctx.db.get<{ value: number }>(
    `INSERT INTO counters (name, value) VALUES ('uid_validity', ?)
     ON CONFLICT (name) DO UPDATE SET value = max(excluded.value, value + 1)
     RETURNING value`,
    seconds,
  );
  return row!.value;
}

export function findMailboxRow(ctx: StoreContext, accountId: string, path: string): MailboxRow | undefined {
  return ctx.db.get<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = ? AND path = ?', accountId, normalizeMailboxPath(path));
}

export function getMailboxRow(ctx: StoreContext, id: string): MailboxRow | undefined {
  return ctx.db.get<MailboxRow>('SELECT * FROM mailboxes WHERE id = ?', id);
}

export function requireMailboxRow(ctx: StoreContext, id: string): MailboxRow {
  const row = getMailboxRow(ctx, id);
  if (!row) throw new MailboxNotFound(id);
  return row;
}

/** Inserts a mailbox; call inside a write transaction. */
export function insertMailbox(ctx: StoreContext, accountId: string, path: string, specialUse?: string): MailboxRow {
  const normalized = normalizeMailboxPath(path);
  if (findMailboxRow(ctx, accountId, normalized)) throw new ConflictError(`mailbox ${normalized} already exists`);
  const id = newId(ctx.now());
  ctx.db.run(
    `INSERT INTO mailboxes (id, account_id, path, special_use, subscribed, uid_validity, uid_next, modify_index, created_at)
     VALUES (?, ?, ?, ?, 1, ?, 1, 0, ?)`,
    id,
    accountId,
    normalized,
    specialUse ?? null,
    nextUidValidity(ctx),
    ctx.now().getTime(),
  );
  return getMailboxRow(ctx, id)!;
}

/**
 * The mailbox to deliver into. A default folder the user deleted is re-created, so a receipt
 * for `Delil` or a copy for `Sent` always has a home; other missing paths are an error, and so
 * is a missing account. A mailbox row implies its account (foreign key), so the account is
 * looked up only when there is no row (the usual append costs one statement here, not two).
 */
export function resolveTargetMailbox(ctx: StoreContext, accountId: string, path: string): MailboxRow {
  const found = findMailboxRow(ctx, accountId, path);
  if (found) return found;
  requireAccount(ctx, accountId);
  const normalized = normalizeMailboxPath(path);
  const standard = DEFAULT_MAILBOXES.find((m) => m.path === normalized);
  if (!standard) throw new MailboxNotFound(normalized);
  return insertMailbox(ctx, accountId, standard.path, standard.specialUse);
}

/** Reserves `count` UIDs and one new modseq; returns the first UID and the modseq. */
export function allocateUids(ctx: StoreContext, mailboxId: string, count: number): { firstUid: number; modseq: number } {
  const row = ctx.db.get<{ uid_next: number; modify_index: number }>(
    'UPDATE mailboxes SET uid_next = uid_next + ?, modify_index = modify_index + 1 WHERE id = ? RETURNING uid_next, modify_index',
    count,
    mailboxId,
  );
  if (!row) throw new MailboxNotFound(mailboxId);
  return { firstUid: row.uid_next - count, modseq: row.modify_index };
}

/** Allocates the next modseq of a mailbox (for flag changes and expunges). */
export function nextModseq(ctx: StoreContext, mailboxId: string): number {
  return allocateUids(ctx, mailboxId, 0).modseq;
}

export function insertJournal(
  ctx: StoreContext,
  entry: { mailboxId: string; modseq: number; command: 'EXISTS' | 'EXPUNGE' | 'FETCH'; uid: number; messageId?: string; flags?: string[] },
): void {
  ctx.db.run(
    'INSERT INTO journal (mailbox_id, modseq, command, uid, message_id, flags) VALUES (?, ?, ?, ?, ?, ?)',
    entry.mailboxId,
    entry.modseq,
    entry.command,
    entry.uid,
    entry.messageId ?? null,
    entry.flags ? JSON.stringify(entry.flags) : null,
  );
}
