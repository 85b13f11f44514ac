/** STATUS of one of the account's mailboxes. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { ownedMailboxByPath } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onStatus(ctx: HandlerContext): NonNullable<IMAPServer['onStatus']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'STATUS', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      const messages = await ctx.store.messages.list(mailbox.id);
      return [
        {
          messages: messages.length,
          unseen: messages.filter((m) => !m.flags.includes('\\Seen')).length,
          uidNext: mailbox.uidNext,
          uidValidity: mailbox.uidValidity,
          highestModseq: mailbox.modifyIndex,
        },
      ];
    });
}
