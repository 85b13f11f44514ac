/** GETQUOTAROOT: every mailbox of an account shares one root, "" (STORAGE in KiB). */
import type { IMAPServer, QuotaInfo } from '@zone-eu/wildduck/imap-core';
import type { MailStore } from '../../store/types';
import { ownedMailboxByPath } from '../session';
import type { HandlerContext } from './context';
import { settle } from './settle';

export async function accountQuota(store: MailStore, accountId: string): Promise<QuotaInfo | undefined> {
  const account = await store.accounts.getById(accountId);
  if (!account) return undefined;
  return { root: '', quota: account.quotaBytes, storageUsed: await store.accounts.usage(accountId) };
}

export function onGetQuotaRoot(ctx: HandlerContext): NonNullable<IMAPServer['onGetQuotaRoot']> {
  return (path, session, callback) =>
    settle(ctx.logger, 'GETQUOTAROOT', callback)(async () => {
      const mailbox = await ownedMailboxByPath(ctx.store, session, path);
      if (!mailbox) return ['NONEXISTENT'];
      return [(await accountQuota(ctx.store, mailbox.accountId)) ?? 'NONEXISTENT'];
    });
}
