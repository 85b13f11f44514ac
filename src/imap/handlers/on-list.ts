/** LIST: the account's own mailboxes with their special-use flags (imap-core filters by pattern). */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onList(ctx: HandlerContext): NonNullable<IMAPServer['onList']> {
  return (_query, session, callback) =>
    settle(ctx.logger, 'LIST', callback)(async () => {
      const accountId = accountIdOf(session);
      const mailboxes = (await ctx.store.mailboxes.list(accountId)).filter((m) => m.accountId === accountId);
      return [mailboxes.map((m) => (m.specialUse ? { path: m.path, specialUse: m.specialUse } : { path: m.path }))];
    });
}
