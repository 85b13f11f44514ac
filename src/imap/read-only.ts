/**
 * A closed account keeps read access for a while (kep-rem.md §8.2) but may not change its
 * mailboxes: every changing command answers NO [CANNOT] after an untagged NO with the reason.
 */
import type { ImapSession } from '@zone-eu/wildduck/imap-core';
import type { HandlerContext } from './handlers/context';
import { accountIdOf, sendUntaggedNo } from './session';

/** Why this session's account may not change its mailboxes now, or undefined. */
export async function writeRefusalFor(ctx: HandlerContext, session: ImapSession): Promise<string | undefined> {
  return ctx.writeRefusal ? ctx.writeRefusal(accountIdOf(session)) : undefined;
}

/**
 * True (and the reason told to the client, unless `silent`) when the session may not change
 * mailboxes; the handler then answers with the CANNOT code.
 */
export async function refusedAsReadOnly(ctx: HandlerContext, session: ImapSession, silent = false): Promise<boolean> {
  const reason = await writeRefusalFor(ctx, session);
  if (!reason) return false;
  if (!silent) sendUntaggedNo(session, 'CANNOT', reason);
  return true;
}
