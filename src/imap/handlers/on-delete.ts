/**
 * DELETE: the account's own mailbox, never a fixed one. Sessions that have it selected are
 * disconnected. Evidence is never touched: it lives in the archive, not in mailboxes.
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { isFixedMailbox } from '../mailbox-rules';
import { ownedMailboxByPath, sendUntaggedNo } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onDelete(ctx: HandlerContext): NonNullable<IMAPServer['onDelete']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'DELETE', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      if (isFixedMailbox(path)) {
        sendUntaggedNo(session, 'CANNOT', `${path} is a fixed mailbox and cannot be deleted`);
        return ['CANNOT'];
      }
      await ctx.store.mailboxes.delete(mailbox.accountId, mailbox.path);
      ctx.notifier.dropMailbox(mailbox.accountId, mailbox.id);
      return [true, mailbox.id];
    });
}
