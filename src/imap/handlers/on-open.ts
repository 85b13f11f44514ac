/**
 * SELECT / EXAMINE. The UID list and the modseq it corresponds to must be one snapshot: a
 * change slipping in between would be announced twice (a duplicate EXISTS shifts every
 * sequence number) or never. So the mailbox is read before and after listing, until stable.
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { KepError } from '../../errors';
import { ownedMailboxByPath } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

const SNAPSHOT_ATTEMPTS = 5;

export function onOpen(ctx: HandlerContext): NonNullable<IMAPServer['onOpen']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'SELECT', callback)(async () => {
      let mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
        const messages = await ctx.store.messages.list(mailbox.id);
        const after = await ctx.store.mailboxes.getById(mailbox.id);
        if (!after || after.accountId !== mailbox.accountId) return ['NONEXISTENT'];
        if (after.modifyIndex === mailbox.modifyIndex) {
          return [
            {
              _id: after.id,
              uidValidity: after.uidValidity,
              uidNext: after.uidNext,
              modifyIndex: after.modifyIndex,
              uidList: messages.map((m) => m.uid).sort((a, b) => a - b),
            },
          ];
        }
        mailbox = after;
      }
      throw new KepError('mailbox kept changing while it was being opened');
    });
}
