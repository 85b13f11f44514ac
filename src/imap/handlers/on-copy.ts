/** COPY / UID COPY between the account's own mailboxes, within its quota. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf, ownedMailboxById, ownedMailboxByPath, sendUntaggedNo } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onCopy(ctx: HandlerContext): NonNullable<IMAPServer['onCopy']> {
  return (_connection, mailboxId, update, session, callback) =>
    settle(ctx.logger, 'COPY', callback)(async () => {
      const source = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!source) return ['NONEXISTENT'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const target = await ownedMailboxByPath(ctx.store, session, update.destination);
      if (!target) return ['TRYCREATE'];
      const accountId = accountIdOf(session);
      const messages = (await ctx.store.messages.list(source.id, update.messages)).filter((m) => m.accountId === accountId);
      // an empty set has no COPYUID to answer with
      if (!messages.length) return ['NONEXISTENT'];
      const account = await ctx.store.accounts.getById(accountId);
      if (!account) return ['NONEXISTENT'];
      const adding = messages.reduce((sum, m) => sum + m.size, 0);
      if ((await ctx.store.accounts.usage(accountId)) + adding > account.quotaBytes) {
        sendUntaggedNo(session, 'OVERQUOTA', 'Mailbox quota exceeded');
        return ['OVERQUOTA'];
      }
      const result = await ctx.store.messages.copy(
        source.id,
        messages.map((m) => m.uid),
        target.id,
      );
      return [true, { uidValidity: target.uidValidity, sourceUid: result.sourceUids, destinationUid: result.destinationUids }];
    });
}
