/** LSUB: the account's subscribed mailboxes. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onLsub(ctx: HandlerContext): NonNullable<IMAPServer['onLsub']> {
  return (_query, session, callback) =>
    settle(ctx.logger, 'LSUB', callback)(async () => {
      const accountId = accountIdOf(session);
      const mailboxes = (await ctx.store.mailboxes.list(accountId)).filter((m) => m.accountId === accountId && m.subscribed);
      return [mailboxes.map((m) => ({ path: m.path }))];
    });
}
