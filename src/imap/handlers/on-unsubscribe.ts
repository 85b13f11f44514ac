/** UNSUBSCRIBE: only the account's existing mailboxes. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { ownedMailboxByPath } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onUnsubscribe(ctx: HandlerContext): NonNullable<IMAPServer['onUnsubscribe']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'UNSUBSCRIBE', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      await ctx.store.mailboxes.setSubscribed(mailbox.accountId, mailbox.path, false);
      return [true];
    });
}
