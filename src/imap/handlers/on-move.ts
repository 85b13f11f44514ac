/**
 * MOVE / UID MOVE between the account's own mailboxes. The moved messages leave the selected
 * mailbox with `* n EXPUNGE`, like an expunge (and, likewise, without a trailing EXISTS).
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf, ownedMailboxById, ownedMailboxByPath } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onMove(ctx: HandlerContext): NonNullable<IMAPServer['onMove']> {
  return (mailboxId, update, session, callback) =>
    settle(ctx.logger, 'MOVE', callback)(async () => {
      const source = await ownedMailboxById(ctx.store, session, mailboxId);
      if (!source) return ['NONEXISTENT'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const target = await ownedMailboxByPath(ctx.store, session, update.destination);
      if (!target) return ['TRYCREATE'];
      if (target.id === source.id) return ['CANNOT'];
      const accountId = accountIdOf(session);
      const messages = (await ctx.store.messages.list(source.id, update.messages)).filter((m) => m.accountId === accountId);
      if (!messages.length) return ['NONEXISTENT'];
      const result = await ctx.store.messages.move(
        source.id,
        messages.map((m) => m.uid),
        target.id,
      );
      if (session.selected && session.selected.mailbox === source.id) {
        for (const uid of [...result.sourceUids].sort((a, b) => a - b)) {
          const response = session.formatResponse('EXPUNGE', uid);
          if (response) session.writeStream.write(response);
        }
      }
      return [true, { uidValidity: target.uidValidity, sourceUid: result.sourceUids, destinationUid: result.destinationUids }];
    });
}
