/**
 * RENAME: the account's own mailbox and everything below it. The fixed mailboxes keep their
 * names (imap-core already refuses INBOX).
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { ConflictError } from '../../errors';
import { isFixedMailbox, newPathProblem } from '../mailbox-rules';
import { accountIdOf, ownedMailboxByPath, sendUntaggedNo } from '../session';
import { refusedAsReadOnly } from '../read-only';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onRename(ctx: HandlerContext): NonNullable<IMAPServer['onRename']> {
  return (path, newPath, session, callback) =>
    settle(ctx.logger, 'RENAME', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      if (await refusedAsReadOnly(ctx, session)) return ['CANNOT'];
      const accountId = accountIdOf(session);
      if (isFixedMailbox(path)) {
        sendUntaggedNo(session, 'CANNOT', `${path} is a fixed mailbox and keeps its name`);
        return ['CANNOT'];
      }
      const problem = newPathProblem(newPath) ?? (newPath.startsWith(path + '/') ? 'A mailbox cannot move below itself' : undefined);
      if (problem) {
        sendUntaggedNo(session, 'CANNOT', problem);
        return ['CANNOT'];
      }
      const all = await ctx.store.mailboxes.list(accountId);
      if (all.some((m) => m.path === newPath || m.path.startsWith(newPath + '/'))) return ['ALREADYEXISTS'];
      const inferiors = all.filter((m) => m.path.startsWith(path + '/')).map((m) => m.path);
      try {
        await ctx.store.mailboxes.rename(accountId, path, newPath);
        // inferior names move along (RFC 3501 §6.3.5) unless the store already did it
        for (const old of inferiors) {
          if (await ctx.store.mailboxes.get(accountId, old)) {
            await ctx.store.mailboxes.rename(accountId, old, newPath + old.slice(path.length));
          }
        }
      } catch (err) {
        if (err instanceof ConflictError) return ['ALREADYEXISTS'];
        throw err;
      }
      return [true, mailbox.id];
    });
}
