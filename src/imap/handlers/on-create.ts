/** CREATE: within the account, with name rules and a bound on how many mailboxes it may have. */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { ConflictError } from '../../errors';
import { newPathProblem } from '../mailbox-rules';
import { accountIdOf, sendUntaggedNo } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onCreate(ctx: HandlerContext): NonNullable<IMAPServer['onCreate']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'CREATE', callback)(async () => {
      const accountId = accountIdOf(session);
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const problem = newPathProblem(path);
      if (problem) {
        sendUntaggedNo(session, 'CANNOT', problem);
        return ['CANNOT'];
      }
      const existing = await ctx.store.mailboxes.list(accountId);
      if (existing.some((m) => m.path === path)) return ['ALREADYEXISTS'];
      if (existing.length >= ctx.maxMailboxes) {
        sendUntaggedNo(session, 'LIMIT', `Mailbox limit reached: at most ${ctx.maxMailboxes} mailboxes per account`);
        return ['LIMIT'];
      }
      try {
        const mailbox = await ctx.store.mailboxes.create(accountId, path);
        return [true, mailbox.id];
      } catch (err) {
        if (err instanceof ConflictError) return ['ALREADYEXISTS'];
        throw err;
      }
    });
}
