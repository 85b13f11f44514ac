/** LOGIN / AUTHENTICATE PLAIN (imap-core only lets them through on TLS). */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onAuth(ctx: HandlerContext): NonNullable<IMAPServer['onAuth']> {
  return (login, _session, callback) =>
    settle(ctx.logger, 'AUTH', callback)(async () => {
      const account = await ctx.authenticate(login.username, login.password);
      // no user in the answer = "NO [AUTHENTICATIONFAILED] Invalid credentials"
      return account ? [{ user: { id: account.accountId, username: account.address } }] : [];
    });
}
