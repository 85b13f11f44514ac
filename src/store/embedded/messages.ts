/** MessageRepo: the IMAP-facing view of mailboxes (flags, expunge, copy/move, change journal). */
import type { JournalEntry, JsonObject, MessageRecord, MessageRepo, NewMessage, StoreOp, StoreOpResult } from '../types';
import { NotFoundError } from '../../errors';
import { MailboxOperationRefused } from '../errors';
import { durable, notify, type StoreContext } from './context';
import { applyFlagAction, normalizeFlags, sameFlags } from './flags';
import { allocateUids, insertJournal, nextModseq, requireMailboxRow } from './mailbox-writes';
import { getMessageRow, insertCopyInTx, selectMessageRows } from './message-writes';
import { MESSAGE_COLUMNS, toJournalEntry, toMessage, type JournalRow, type MailboxRow, type MessageRow } from './rows';

type Commit = (ops: StoreOp[]) => Promise<StoreOpResult[]>;

interface UidMapping {
  sourceUids: number[];
  destinationUids: number[];
}

export class EmbeddedMessageRepo implements MessageRepo {
  constructor(
    private readonly ctx: StoreContext,
    private readonly commit: Commit,
  ) {}

  async list(mailboxId: string, uids?: number[]): Promise<MessageRecord[]> {
    await durable(this.ctx);
    return selectMessageRows(this.ctx, mailboxId, uids).map(toMessage);
  }

  async get(id: string): Promise<MessageRecord | undefined> {
    await durable(this.ctx);
    const row = getMessageRow(this.ctx, id);
    return row && toMessage(row);
  }

  /** Cached parse data only: not a change a client sees, so no modseq. */
  async setMeta(id: string, meta: JsonObject): Promise<void> {
    const json = JSON.stringify(meta);
    await this.ctx.writer.submit({
      run: () => {
        const result = this.ctx.db.run('UPDATE messages SET meta = ? WHERE id = ?', json, id);
        if (result.changes === 0) throw new NotFoundError(`message ${id} not found`);
      },
    });
  }

  async append(message: NewMessage): Promise<MessageRecord> {
    const [result] = await this.commit([{ op: 'appendMessage', message }]);
    if (result.op !== 'appendMessage') throw new Error('commit returned a result for another op');
    return result.message;
  }

  /**
   * Changes flags. With `unchangedSince` (CONDSTORE), messages whose modseq is higher are left
   * alone and listed in `modified`. `updated` holds the messages whose flags actually changed.
   */
  async updateFlags(
    mailboxId: string,
    uids: number[],
    action: 'set' | 'add' | 'remove',
    flags: string[],
    unchangedSince?: number,
  ): Promise<{ updated: MessageRecord[]; modified: number[] }> {
    normalizeFlags(flags);
    const { db } = this.ctx;
    return this.write(() => {
      const mailbox = requireMailboxRow(this.ctx, mailboxId);
      const modified: number[] = [];
      const changes: { row: MessageRow; flags: string[] }[] = [];
      for (const row of selectMessageRows(this.ctx, mailboxId, uids)) {
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          modified.push(row.uid);
          continue;
        }
        const current = JSON.parse(row.flags) as string[];
        const next = applyFlagAction(current, action, flags);
        if (!sameFlags(current, next)) changes.push({ row, flags: next });
      }
      const updated: MessageRecord[] = [];
      if (changes.length > 0) {
        const modseq = nextModseq(this.ctx, mailboxId);
        for (const c of changes) {
          const json = JSON.stringify(c.flags);
          db.run('UPDATE messages SET flags = ?, modseq = ? WHERE id = ?', json, modseq, c.row.id);
          insertJournal(this.ctx, { mailboxId, modseq, command: 'FETCH', uid: c.row.uid, messageId: c.row.id, flags: c.flags });
          updated.push(toMessage({ ...c.row, flags: json, modseq }));
        }
      }
      return { mailbox, updated, modified };
    }, (r) => r.updated.length > 0 ? [r.mailbox] : [], (r) => ({ updated: r.updated, modified: r.modified }));
  }

  /** Removes \Deleted messages (only among `uids` when given). Quota is freed at once; evidence stays. */
  async expunge(mailboxId: string, uids?: number[]): Promise<number[]> {
    const { db } = this.ctx;
    return this.write(() => {
      const mailbox = requireMailboxRow(this.ctx, mailboxId);
      const rows =
        uids === undefined
          ? db.all<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE mailbox_id = ? AND deleted = 1 ORDER BY uid`, mailboxId)
          : db.all<MessageRow>(
              `SELECT ${MESSAGE_COLUMNS} FROM messages
               WHERE mailbox_id = ? AND deleted = 1 AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid`,
              mailboxId,
              JSON.stringify(uids),
            );
      if (rows.length === 0) return { mailbox, expunged: [] as number[] };
      const modseq = nextModseq(this.ctx, mailboxId);
      for (const row of rows) {
        db.run('DELETE FROM messages WHERE id = ?', row.id);
        insertJournal(this.ctx, { mailboxId, modseq, command: 'EXPUNGE', uid: row.uid, messageId: row.id });
      }
      return { mailbox, expunged: rows.map((r) => r.uid) };
    }, (r) => r.expunged.length > 0 ? [r.mailbox] : [], (r) => r.expunged);
  }

  async copy(mailboxId: string, uids: number[], targetMailboxId: string): Promise<UidMapping> {
    return this.write(() => {
      const { target, rows } = this.sourceAndTarget(mailboxId, uids, targetMailboxId);
      if (rows.length === 0) return { target, sourceUids: [], destinationUids: [] };
      const { firstUid, modseq } = allocateUids(this.ctx, target.id, rows.length);
      const destinationUids = rows.map((row, i) => {
        insertCopyInTx(this.ctx, row, target.id, firstUid + i, modseq);
        return firstUid + i;
      });
      return { target, sourceUids: rows.map((r) => r.uid), destinationUids };
    }, (r) => r.destinationUids.length > 0 ? [r.target] : [], (r) => ({ sourceUids: r.sourceUids, destinationUids: r.destinationUids }));
  }

  /** Moves keep the message id: it is the same message in another folder. */
  async move(mailboxId: string, uids: number[], targetMailboxId: string): Promise<UidMapping> {
    const { db } = this.ctx;
    return this.write(() => {
      const { source, target, rows } = this.sourceAndTarget(mailboxId, uids, targetMailboxId);
      if (rows.length === 0) return { source, target, sourceUids: [], destinationUids: [] };
      const { firstUid, modseq } = allocateUids(this.ctx, target.id, rows.length);
      const expungeModseq = nextModseq(this.ctx, source.id);
      const destinationUids = rows.map((row, i) => {
        const uid = firstUid + i;
        db.run('UPDATE messages SET mailbox_id = ?, uid = ?, modseq = ? WHERE id = ?', target.id, uid, modseq, row.id);
        insertJournal(this.ctx, { mailboxId: source.id, modseq: expungeModseq, command: 'EXPUNGE', uid: row.uid, messageId: row.id });
        insertJournal(this.ctx, {
          mailboxId: target.id,
          modseq,
          command: 'EXISTS',
          uid,
          messageId: row.id,
          flags: JSON.parse(row.flags) as string[],
        });
        return uid;
      });
      return { source, target, sourceUids: rows.map((r) => r.uid), destinationUids };
    }, (r) => {
      if (r.destinationUids.length === 0) return [];
      return r.target.id !== r.source.id ? [r.source, r.target] : [r.source];
    }, (r) => ({ sourceUids: r.sourceUids, destinationUids: r.destinationUids }));
  }

  async journal(mailboxId: string, sinceModseq: number): Promise<JournalEntry[]> {
    await durable(this.ctx);
    return this.ctx.db
      .all<JournalRow>('SELECT * FROM journal WHERE mailbox_id = ? AND modseq > ? ORDER BY seq', mailboxId, sinceModseq)
      .map(toJournalEntry);
  }

  private sourceAndTarget(mailboxId: string, uids: number[], targetMailboxId: string): { source: MailboxRow; target: MailboxRow; rows: MessageRow[] } {
    const source = requireMailboxRow(this.ctx, mailboxId);
    const target = requireMailboxRow(this.ctx, targetMailboxId);
    // Quota and ownership are per account; IMAP never crosses accounts.
    if (source.account_id !== target.account_id) throw new MailboxOperationRefused('messages cannot be copied or moved to another account');
    return { source, target, rows: selectMessageRows(this.ctx, mailboxId, uids) };
  }

  /**
   * One write through the group commit: `changedBoxes` names the mailboxes whose sessions hear
   * of it once it is durable; `answer` is what the caller gets.
   */
  private async write<T, R>(run: () => T, changedBoxes: (r: T) => MailboxRow[], answer: (r: T) => R): Promise<R> {
    const result = await this.ctx.writer.submit({
      run,
      done: (r: T) => {
        for (const mailbox of changedBoxes(r)) notify(this.ctx, 'mailbox-change', { accountId: mailbox.account_id, mailboxId: mailbox.id });
      },
    });
    return answer(result);
  }
}
