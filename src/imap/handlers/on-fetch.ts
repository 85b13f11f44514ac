/**
 * FETCH / UID FETCH. Messages are answered page by page, and for each page, before a byte of
 * it is sent:
 *   1. every dispatch of this account whose body content is asked for has its retrieval
 *      recorded (`onRetrieval`); if that fails the FETCH answers NO and the content stays here;
 *   2. non-PEEK body fetches set \Seen (imap-core decides `markAsSeen`, we store it) — except
 *      in a read-only (closed) account, whose mailboxes stay as they are.
 * Bodies are streamed from the stored blob, byte-exact.
 */
import type { FetchOptions, IMAPServer, ImapSession } from '@zone-eu/wildduck/imap-core';
import { imapHandler } from '@zone-eu/wildduck/imap-core';
import type { Mailbox, MessageRecord } from '../../store/types';
import { ConnectionClosed, RetrievalNotRecorded } from '../errors';
import { buildFetchValues, isStreamValue } from '../fetch/values';
import { isRecordableRetrieval } from '../fetch/retrieval';
import { writeRefusalFor } from '../read-only';
import { accountIdOf, connectionOpen, ownedMailboxById, writeResponse, writeStreamedResponse } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

const PAGE_SIZE = 250;

export function onFetch(ctx: HandlerContext): NonNullable<IMAPServer['onFetch']> {
  return (mailboxId, options, session, callback) =>
    settle(ctx.logger, 'FETCH', callback)(async () => {
      const mailbox = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!mailbox) return ['NONEXISTENT'];
      const accountId = accountIdOf(session);
      const known = new Set(session.selected ? session.selected.uidList : []);
      const uids = options.messages.filter((uid) => known.has(uid));
      let rows = 0;
      const markAsSeen = options.markAsSeen && !(await writeRefusalFor(ctx, session));
      for (let i = 0; i < uids.length; i += PAGE_SIZE) {
        const page = await loadPage(ctx, mailbox, accountId, uids.slice(i, i + PAGE_SIZE), options);
        await recordRetrievals(ctx, page, accountId, options, session.user?.operator);
        const ready = markAsSeen ? await markSeen(ctx, session, mailbox, page) : page;
        for (const record of ready) {
          if (!connectionOpen(session)) throw new ConnectionClosed();
          await sendOne(ctx, session, record, options);
          rows++;
        }
      }
      return [true, { rowCount: rows }];
    });
}

async function loadPage(ctx: HandlerContext, mailbox: Mailbox, accountId: string, uids: number[], options: FetchOptions): Promise<MessageRecord[]> {
  const records = await ctx.store.messages.list(mailbox.id, uids);
  return records.filter(
    (m) => m.accountId === accountId && m.mailboxId === mailbox.id && (!options.changedSince || m.modseq > options.changedSince),
  );
}

async function recordRetrievals(
  ctx: HandlerContext,
  page: MessageRecord[],
  accountId: string,
  options: FetchOptions,
  operator: string | undefined,
): Promise<void> {
  for (const record of page) {
    if (!isRecordableRetrieval(record, accountId, options.query)) continue;
    try {
      await ctx.onRetrieval(record, accountId, operator === undefined ? undefined : { operator });
    } catch (err) {
      ctx.logger.warn({ err, messageId: record.id }, 'retrieval could not be recorded; content withheld');
      throw new RetrievalNotRecorded(err);
    }
  }
}

async function markSeen(ctx: HandlerContext, session: ImapSession, mailbox: Mailbox, page: MessageRecord[]): Promise<MessageRecord[]> {
  const unseen = page.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
  if (!unseen.length) return page;
  const { updated } = await ctx.store.messages.updateFlags(mailbox.id, unseen, 'add', ['\\Seen']);
  // the FETCH response carries the new FLAGS itself
  ctx.notifier.markOwnChanges(session.id, mailbox.id, updated.map((m) => m.modseq));
  const byUid = new Map(updated.map((m) => [m.uid, m]));
  return page.map((m) => {
    const u = byUid.get(m.uid);
    return u ? { ...m, flags: u.flags, modseq: u.modseq } : m;
  });
}

async function sendOne(ctx: HandlerContext, session: ImapSession, record: MessageRecord, options: FetchOptions): Promise<void> {
  const values = await buildFetchValues(record, options.query, {
    blobs: ctx.store.blobs,
    meta: () => ctx.meta.get(record),
    utf8: session.isUTF8Enabled(),
  });
  try {
    const response = session.formatResponse('FETCH', record.uid, { query: options.query, values });
    if (!response) return;
    // no literals in a metadata-only answer: compile it in one go
    if (options.metadataOnly) {
      await writeResponse(session, { compiled: imapHandler.compiler(response) });
    } else {
      await writeStreamedResponse(session, imapHandler.compileStream(response));
    }
  } finally {
    // A body section that was not sent in full (the client left or stalled) still holds its
    // blob file open: close it now, not whenever garbage collection gets to it.
    for (const v of values) if (isStreamValue(v) && !v.value.destroyed) v.value.destroy();
  }
}
