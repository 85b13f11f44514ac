/**
 * Change notifications for selected mailboxes (IDLE, and untagged updates after commands).
 * The store's mailbox journal is the source of truth: a 'mailbox-change' event only wakes the
 * account's sessions, each then reads the journal from the modseq it has seen. Changes a session
 * made and already answered itself (STORE, \Seen on FETCH) are marked so it is not told twice.
 */
import type { ImapNotifierApi, ImapSession, ImapUser, NotificationEntry, NotifierMessage } from '@zone-eu/wildduck/imap-core';
import type { JournalEntry, MailboxChangeEvent, MailStore } from '../store/types';
import type { Logger } from '../log';

type Listener = (message?: NotifierMessage) => void;

/** Own-change marks kept; older ones only cost a duplicate untagged FETCH. */
const MAX_OWN_MARKS = 10_000;

export class ImapNotifier implements ImapNotifierApi {
  /** Per account: each logged-in session's listener, and the session (to end it when access ends). */
  private readonly listeners = new Map<string, Map<Listener, ImapSession>>();
  private readonly ownChanges = new Map<string, string>();
  private readonly onChange = (event: MailboxChangeEvent): void => this.fire(event.accountId);

  constructor(
    private readonly store: MailStore,
    private readonly logger: Logger,
  ) {
    store.events.on('mailbox-change', this.onChange);
  }

  addListener(session: ImapSession, handler: Listener): void {
    const accountId = session.user?.id;
    if (!accountId) return;
    let set = this.listeners.get(accountId);
    if (!set) {
      set = new Map();
      this.listeners.set(accountId, set);
    }
    set.set(handler, session);
  }

  removeListener(session: ImapSession, handler: Listener): void {
    const accountId = session.user?.id;
    if (!accountId) return;
    const set = this.listeners.get(accountId);
    if (!set) return;
    set.delete(handler);
    if (!set.size) this.listeners.delete(accountId);
  }

  getUpdates(mailboxId: string, modseq: number, callback: (err: Error | null, entries?: NotificationEntry[]) => void): void {
    this.store.messages.journal(mailboxId, modseq).then(
      (entries) => callback(null, entries.map((e) => this.toNotification(e))),
      (err: unknown) => {
        this.logger.warn({ err, mailboxId }, 'reading the mailbox journal failed');
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Wakes every session of the account: they check their selected mailbox's journal. */
  fire(accountId: string): void {
    for (const handler of [...(this.listeners.get(accountId)?.keys() ?? [])]) handler();
  }

  /** Sessions that have this mailbox selected are disconnected: it no longer exists. */
  dropMailbox(accountId: string, mailboxId: string): void {
    for (const handler of [...(this.listeners.get(accountId)?.keys() ?? [])]) handler({ command: 'DROP', mailbox: mailboxId });
  }

  /** The users of the logged-in sessions, one entry per session. */
  sessionUsers(): ImapUser[] {
    const out: ImapUser[] = [];
    for (const sessions of this.listeners.values()) for (const session of sessions.values()) if (session.user) out.push(session.user);
    return out;
  }

  /** Says BYE to and closes every logged-in session whose user matches; returns how many. */
  endSessions(match: (user: ImapUser) => boolean, reason: string): number {
    let ended = 0;
    for (const sessions of [...this.listeners.values()]) {
      for (const [handler, session] of [...sessions]) {
        if (!session.user || !match(session.user)) continue;
        handler({ command: 'LOGOUT', reason });
        ended++;
      }
    }
    return ended;
  }

  /** Records flag changes a session already reported itself. */
  markOwnChanges(sessionId: string, mailboxId: string, modseqs: number[]): void {
    for (const modseq of modseqs) this.ownChanges.set(`${mailboxId}:${modseq}`, sessionId);
    while (this.ownChanges.size > MAX_OWN_MARKS) {
      const oldest = this.ownChanges.keys().next().value;
      if (oldest === undefined) break;
      this.ownChanges.delete(oldest);
    }
  }

  close(): void {
    this.store.events.off('mailbox-change', this.onChange);
    this.listeners.clear();
  }

  private toNotification(entry: JournalEntry): NotificationEntry {
    const out: NotificationEntry = {
      _id: entry.id,
      command: entry.command,
      uid: entry.uid,
      modseq: entry.modseq,
    };
    if (entry.flags) out.flags = entry.flags;
    if (entry.messageId) out.message = entry.messageId;
    if (entry.command === 'FETCH') {
      // read when imap-core emits the entry, not now: the journal can be read (woken by the
      // store's change event) before the changing command has marked the change as its own
      const key = `${entry.mailboxId}:${entry.modseq}`;
      Object.defineProperty(out, 'ignore', { enumerable: true, get: () => this.ownChanges.get(key) });
    }
    return out;
  }
}
