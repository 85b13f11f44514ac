/** The existence check that every write naming an account makes before it writes. */
import { AccountNotFound } from '../errors';
import type { StoreContext } from './context';

/** Throws AccountNotFound unless the account exists (closed accounts exist). */
export function requireAccount(ctx: StoreContext, accountId: string): void {
  if (!ctx.db.get('SELECT 1 FROM accounts WHERE id = ?', accountId)) throw new AccountNotFound(accountId);
}
