/** GETQUOTA: the account's single quota root "". */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { accountIdOf } from '../session';
import type { HandlerContext } from './context';
import { accountQuota } from './on-get-quota-root';
import { settle } from './settle';

export function onGetQuota(ctx: HandlerContext): NonNullable<IMAPServer['onGetQuota']> {
  return (root, session, callback) =>
    settle(ctx.logger, 'GETQUOTA', callback)(async () => {
      const accountId = accountIdOf(session);
      if (root !== '') return ['NONEXISTENT'];
      return [(await accountQuota(ctx.store, accountId)) ?? 'NONEXISTENT'];
    });
}
