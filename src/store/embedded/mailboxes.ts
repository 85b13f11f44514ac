/** MailboxRepo: folder create/rename/delete/subscribe. Deleting a folder never touches evidence. */
import type { Mailbox, MailboxRepo } from '../types';
import { ConflictError } from '../../errors';
import { MailboxNotFound, MailboxOperationRefused } from '../errors';
import { durable, notify, type StoreContext } from './context';
import { isInbox, normalizeMailboxPath, renamedPath, MAILBOX_DELIMITER } from './mailbox-paths';
import { findMailboxRow, getMailboxRow, insertMailbox } from './mailbox-writes';
import { toMailbox, type MailboxRow } from './rows';
import { requireAccount } from './account-exists';

export class EmbeddedMailboxRepo implements MailboxRepo {
  constructor(private readonly ctx: StoreContext) {}

  async list(accountId: string): Promise<Mailbox[]> {
    await durable(this.ctx);
    return this.ctx.db
      .all<MailboxRow>(`SELECT * FROM mailboxes WHERE account_id = ? ORDER BY path = 'INBOX' DESC, path`, accountId)
      .map(toMailbox);
  }

  async get(accountId: string, path: string): Promise<Mailbox | undefined> {
    await durable(this.ctx);
    const row = findMailboxRow(this.ctx, accountId, path);
    return row && toMailbox(row);
  }

  async getById(id: string): Promise<Mailbox | undefined> {
    await durable(this.ctx);
    const row = getMailboxRow(this.ctx, id);
    return row && toMailbox(row);
  }

  async create(accountId: string, path: string, specialUse?: string): Promise<Mailbox> {
    return this.ctx.writer.submit({
      run: () => {
        requireAccount(this.ctx, accountId);
        return toMailbox(insertMailbox(this.ctx, accountId, path, specialUse));
      },
    });
  }

  /** Renames the folder and every folder below it; INBOX cannot be renamed away. */
  async rename(accountId: string, path: string, newPath: string): Promise<void> {
    const from = normalizeMailboxPath(path);
    const to = normalizeMailboxPath(newPath);
    if (isInbox(from)) throw new MailboxOperationRefused('INBOX cannot be renamed');
    if (to === from || to.startsWith(from + MAILBOX_DELIMITER)) {
      throw new MailboxOperationRefused(`cannot rename ${from} to ${to}`);
    }
    const { db } = this.ctx;
    await this.ctx.writer.submit({ run: () => {
      const rows = db.all<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = ?', accountId);
      if (!rows.some((r) => r.path === from)) throw new MailboxNotFound(from);
      const existing = new Set(rows.map((r) => r.path));
      const moves: { id: string; path: string }[] = [];
      for (const r of rows) {
        const target = renamedPath(r.path, from, to);
        if (target === undefined) continue;
        if (existing.has(target)) throw new ConflictError(`mailbox ${target} already exists`);
        moves.push({ id: r.id, path: target });
      }
      for (const m of moves) db.run('UPDATE mailboxes SET path = ? WHERE id = ?', m.path, m.id);
    } });
  }

  /** Removes the folder and its messages (freeing quota); evidence stays in the archive. */
  async delete(accountId: string, path: string): Promise<void> {
    const normalized = normalizeMailboxPath(path);
    if (isInbox(normalized)) throw new MailboxOperationRefused('INBOX cannot be deleted');
    const { db } = this.ctx;
    await this.ctx.writer.submit({
      run: () => {
        const found = findMailboxRow(this.ctx, accountId, normalized);
        if (!found) throw new MailboxNotFound(normalized);
        db.run('DELETE FROM messages WHERE mailbox_id = ?', found.id);
        db.run('DELETE FROM journal WHERE mailbox_id = ?', found.id);
        db.run('DELETE FROM mailboxes WHERE id = ?', found.id);
        return found;
      },
      done: (row) => notify(this.ctx, 'mailbox-change', { accountId, mailboxId: row.id }),
    });
  }

  async setSubscribed(accountId: string, path: string, subscribed: boolean): Promise<void> {
    const normalized = normalizeMailboxPath(path);
    await this.ctx.writer.submit({
      run: () => {
        const result = this.ctx.db.run(
          'UPDATE mailboxes SET subscribed = ? WHERE account_id = ? AND path = ?',
          subscribed ? 1 : 0,
          accountId,
          normalized,
        );
        if (result.changes === 0) throw new MailboxNotFound(normalized);
      },
    });
  }
}
