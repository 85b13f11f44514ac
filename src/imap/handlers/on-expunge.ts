/**
 * EXPUNGE / UID EXPUNGE / CLOSE. Each removed message is announced with `* n EXPUNGE` and
 * nothing else: no EXISTS follows (a `* 0 EXISTS` after EXPUNGE sends some clients into an
 * endless re-sync loop). Evidence is untouched: it lives in the archive.
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { ownedMailboxById } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onExpunge(ctx: HandlerContext): NonNullable<IMAPServer['onExpunge']> {
  return (mailboxId, update, session, callback) =>
    settle(ctx.logger, 'EXPUNGE', callback)(async () => {
      const mailbox = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!mailbox) return ['NONEXISTENT'];
      // CLOSE expunges silently and answers OK whatever happens: nothing to tell then
      if (await refusedAsReadOnly(ctx, session, !!update.silent)) return ['CANNOT'];
      const uids = update.isUid ? (update.messages ?? []) : undefined;
      if (uids && !uids.length) return [true];
      const expunged = (await ctx.store.messages.expunge(mailbox.id, uids)).sort((a, b) => a - b);
      if (!update.silent && session.selected && session.selected.mailbox === mailbox.id) {
        for (const uid of expunged) {
          // formatResponse also drops the uid from the session's view (sequence numbers shift)
          const response = session.formatResponse('EXPUNGE', uid);
          if (response) session.writeStream.write(response);
        }
      }
      return [true];
    });
}
