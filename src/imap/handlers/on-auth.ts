/**
 * LOGIN / AUTHENTICATE PLAIN (imap-core only lets them through on TLS). A lockout or the
 * per-account connection limit is answered `NO [UNAVAILABLE]`; wrong credentials
 * `NO [AUTHENTICATIONFAILED]` (imap-core's answer to a login without user).
 */
import type { IMAPServer } from '@zone-eu/wildduck/imap-core';
import { TemporaryFailure } from '../../errors';
import { LoginUnavailable } from '../errors';
import type { HandlerContext } from './context';
import { settle } from './settle';

export function onAuth(ctx: HandlerContext): NonNullable<IMAPServer['onAuth']> {
  return (login, session, callback) =>
    settle(ctx.logger, 'AUTH', callback)(async () => {
      let account;
      try {
        account = await ctx.authenticate(login.username, login.password, { address: session.remoteAddress });
      } catch (err) {
        if (err instanceof TemporaryFailure) throw new LoginUnavailable(login.method, err.message);
        throw err;
      }
      // no user in the answer = "NO [AUTHENTICATIONFAILED] Invalid credentials"
      if (!account) return [];
      const admitted = ctx.sessions?.admitAccount(session, account.accountId);
      if (admitted && !admitted.admitted) {
        ctx.logger.warn({ account: account.address, limit: admitted.limit }, 'imap login refused: too many connections of one account');
        throw new LoginUnavailable(login.method, `Too many connections for this account (at most ${admitted.limit}); try again later`);
      }
      // an operator's session acts for the entity account (its mailboxes), under its own name
      const user = account.operator
        ? { id: account.accountId, username: account.operator, operator: account.operator }
        : { id: account.accountId, username: account.address };
      return [{ user }];
    });
}
