/**
 * The account lifecycle (kep-rem.md §8.2): awaiting activation → active → closed, reopened by
 * the holder with the same address. Quota and directory listing changes live here too: every
 * change is written together with its history entry (who and when).
 */
import { NotFoundError, UsageError } from '../errors';
import type { AccountRecord, AccountState, JsonObject, MailStore } from '../store/types';
import { parseAddress } from './address';
import type { VerifiedAgreement } from './agreement';

/** Who makes a change, and the clock it is dated by. */
export interface ChangeContext {
  actor: string;
  now?: () => Date;
}

export type LifecycleAction = 'activate' | 'close' | 'reopen';

/** A lifecycle step the account's state does not allow (CLI exit 2). */
export class InvalidTransition extends UsageError {
  override readonly name = 'InvalidTransition';
}

const TRANSITIONS: Record<LifecycleAction, { from: AccountState; to: AccountState; why: string }> = {
  activate: { from: 'pending', to: 'active', why: 'only an account awaiting activation can be activated' },
  close: { from: 'active', to: 'closed', why: 'only an active account can be closed' },
  reopen: { from: 'closed', to: 'active', why: 'only a closed account can be reopened' },
};

/** The state after `action`, or InvalidTransition. Pure. */
export function nextState(account: Pick<AccountRecord, 'address' | 'state'>, action: LifecycleAction): AccountState {
  const t = TRANSITIONS[action];
  if (account.state !== t.from) throw new InvalidTransition(`<${account.address}> is ${describeState(account.state)}: ${t.why}`);
  return t.to;
}

function describeState(state: AccountState): string {
  return state === 'pending' ? 'awaiting activation' : state;
}

export async function requireAccount(store: MailStore, address: string): Promise<AccountRecord> {
  const parsed = parseAddress(address);
  const account = await store.accounts.getByAddress(parsed.address);
  if (!account) throw new NotFoundError(`no KEP account <${parsed.address}>`);
  return account;
}

function at(ctx: ChangeContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

/** Activates an account awaiting activation; the verified signed agreement is kept with the entry. */
export async function activateAccount(store: MailStore, address: string, agreement: VerifiedAgreement, ctx: ChangeContext): Promise<AccountRecord> {
  const account = await requireAccount(store, address);
  const state = nextState(account, 'activate');
  const details: JsonObject = {
    agreementFormat: agreement.format,
    signer: agreement.signerSubject,
    signerCertificateSha256: agreement.signerCertificateSha256,
  };
  if (agreement.contentSha256) details.contentSha256 = agreement.contentSha256;
  return store.accounts.update(account.id, { state }, { kind: 'activated', actor: ctx.actor, at: at(ctx), details, document: agreement.document });
}

/** Closes an active account: no sending, incoming mail not delivered, read-only access for a while. */
export async function closeAccount(store: MailStore, address: string, ctx: ChangeContext): Promise<AccountRecord> {
  const account = await requireAccount(store, address);
  const state = nextState(account, 'close');
  const when = at(ctx);
  return store.accounts.update(account.id, { state, closedAt: when }, { kind: 'closed', actor: ctx.actor, at: when });
}

/** Reopens a closed account for its holder: the same address, mailboxes and evidence. */
export async function reopenAccount(store: MailStore, address: string, ctx: ChangeContext): Promise<AccountRecord> {
  const account = await requireAccount(store, address);
  const state = nextState(account, 'reopen');
  return store.accounts.update(
    account.id,
    { state, closedAt: null },
    { kind: 'reopened', actor: ctx.actor, at: at(ctx), details: { closedAt: account.closedAt?.toISOString() ?? null } },
  );
}

/** A new quota: an absolute size, or extra (archive) space on top of the current one. */
export type QuotaChange = { bytes: number } | { addBytes: number };

export async function setQuota(store: MailStore, address: string, change: QuotaChange, ctx: ChangeContext): Promise<AccountRecord> {
  const account = await requireAccount(store, address);
  const to = 'bytes' in change ? change.bytes : account.quotaBytes + change.addBytes;
  const given = 'bytes' in change ? change.bytes : change.addBytes;
  if (!Number.isSafeInteger(given) || given <= 0 || !Number.isSafeInteger(to)) {
    throw new UsageError('quota must be a positive number of bytes');
  }
  return store.accounts.update(
    account.id,
    { quotaBytes: to },
    { kind: 'quota-changed', actor: ctx.actor, at: at(ctx), details: { from: account.quotaBytes, to } },
  );
}

/** A person's opt-in to (or out of) the KEP directory; legal entities are always listed. */
export async function setListed(store: MailStore, address: string, listed: boolean, ctx: ChangeContext): Promise<AccountRecord> {
  const account = await requireAccount(store, address);
  if (account.type === 'entity' && !listed) throw new UsageError(`<${account.address}> is a legal entity: legal entities are always listed in the KEP directory`);
  if (account.listed === listed) return account;
  return store.accounts.update(account.id, { listed }, { kind: listed ? 'directory-listed' : 'directory-unlisted', actor: ctx.actor, at: at(ctx) });
}
