/**
 * Who may log in, and who may change their mailboxes (kep-rem.md §8.2): an active account
 * fully; a closed one read-only for `closed_access_days` after closing, so its holder can still
 * download messages and evidence; then not at all. An account awaiting activation cannot log in.
 * Pure: the clock and the policy are given.
 */
import type { AccountRecord } from '../store/types';

export interface AccessPolicy {
  /** Days after closing during which the holder may still log in read-only. */
  closedAccessDays: number;
}

export type AccountAccess =
  | { kind: 'full' }
  | { kind: 'read-only'; until: Date }
  | { kind: 'none'; reason: string };

const DAY_MS = 86_400_000;

/** When a closed account's read-only period ends (undefined when it is not closed). */
export function closedAccessEnds(account: Pick<AccountRecord, 'state' | 'closedAt'>, policy: AccessPolicy): Date | undefined {
  if (account.state !== 'closed') return undefined;
  // a closed account without a closing time predates the lifecycle: treat its period as over
  if (!account.closedAt) return new Date(0);
  return new Date(account.closedAt.getTime() + policy.closedAccessDays * DAY_MS);
}

export function accountAccess(account: Pick<AccountRecord, 'state' | 'closedAt'>, now: Date, policy: AccessPolicy): AccountAccess {
  switch (account.state) {
    case 'active':
      return { kind: 'full' };
    case 'pending':
      return { kind: 'none', reason: 'the account is awaiting activation' };
    case 'closed': {
      const until = closedAccessEnds(account, policy)!;
      if (now.getTime() < until.getTime()) return { kind: 'read-only', until };
      return { kind: 'none', reason: 'the account is closed and its access period has ended' };
    }
    default:
      return { kind: 'none', reason: `unknown account state ${String(account.state)}` };
  }
}

/** Why the account may not change its mailboxes now (IMAP answers NO with this), or undefined. */
export function writeRefusal(account: Pick<AccountRecord, 'address' | 'state' | 'closedAt'>, now: Date, policy: AccessPolicy): string | undefined {
  const access = accountAccess(account, now, policy);
  if (access.kind === 'full') return undefined;
  if (access.kind === 'read-only') {
    return `KEP account <${account.address}> is closed: its mailboxes are read-only (messages and evidence can be downloaded until ${access.until.toISOString()})`;
  }
  return `KEP account <${account.address}> cannot be used: ${access.reason}`;
}
