/**
 * APPEND into any of the account's own mailboxes. The bytes are stored exactly as sent; the
 * message is of kind 'appended': never a KEP message, never a subject of evidence.
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf, ownedMailboxByPath, sendUntaggedNo } from '../session';
import { storableFlags } from '../flags';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onAppend(ctx: HandlerContext): NonNullable<IMAPServer['onAppend']> {
  return (path, flags, internalDate, raw, session, callback) =>
    settle(ctx.logger, 'APPEND', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['TRYCREATE'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const accountId = accountIdOf(session);
      if (raw.length > ctx.maxMessageBytes) {
        sendUntaggedNo(session, 'TOOBIG', `Message is larger than ${ctx.maxMessageBytes} bytes`);
        return ['TOOBIG'];
      }
      const account = await ctx.store.accounts.getById(accountId);
      if (!account) return ['NONEXISTENT'];
      const used = await ctx.store.accounts.usage(accountId);
      if (used + raw.length > account.quotaBytes) {
        sendUntaggedNo(session, 'OVERQUOTA', 'Mailbox quota exceeded');
        return ['OVERQUOTA'];
      }
      const blob = await ctx.store.blobs.put(raw);
      const date = internalDate ? new Date(internalDate) : ctx.now();
      const message = await ctx.store.messages.append({
        accountId,
        mailboxPath: mailbox.path,
        blob,
        kind: 'appended',
        flags: storableFlags(flags),
        internalDate: Number.isNaN(date.getTime()) ? ctx.now() : date,
      });
      return [true, { uidValidity: mailbox.uidValidity, uid: message.uid }];
    });
}
