/** Account creation and authentication on top of the store (decisions here, storage in store). */
import { ConflictError, UsageError } from '../errors';
import type { AccountRecord, AccountType, MailStore } from '../store/types';
import { accountAccess, writeRefusal, type AccessPolicy } from './access';
import { validateAccountAddress } from './address';
import { hashPassword, verifyPassword } from './password';

export interface CreateAccountInput {
  address: string;
  password: string;
  type?: AccountType;
  nationalId?: string;
  displayName?: string;
  receiveOnly?: boolean;
  quotaBytes?: number;
  /** Awaiting activation (`kepd account activate` with the signed agreement) instead of active. */
  pending?: boolean;
  /** A person's opt-in to the KEP directory (legal entities are always listed). */
  listed?: boolean;
  /** A legal entity's MERSIS number; taken from a 16-digit address or national id when not given. */
  mersis?: string;
  /** Who creates it, for the account's history. */
  actor?: string;
  now?: () => Date;
}

/** TC kimlik no: 11 digits; MERSIS: 16 digits; VKN: 10 digits. Anything else is refused. */
const NATIONAL_ID = /^(?:[0-9]{10}|[0-9]{11}|[0-9]{16})$/;
const MERSIS = /^[0-9]{16}$/;

export const DEFAULT_ACCESS_POLICY: AccessPolicy = { closedAccessDays: 90 };

export function assertPassword(password: string | undefined): void {
  if (!password || password.length < 8) throw new UsageError('the password must be at least 8 characters long');
}

function entityMersis(type: AccountType, local: string, input: CreateAccountInput): string | undefined {
  if (input.mersis !== undefined) {
    if (type !== 'entity') throw new UsageError('a MERSIS number belongs to a legal entity (--type entity)');
    if (!MERSIS.test(input.mersis)) throw new UsageError(`MERSIS number "${input.mersis}" must be 16 digits`);
    return input.mersis;
  }
  if (type !== 'entity') return undefined;
  const fromAddress = /^([0-9]{16})(?:\.|$)/.exec(local)?.[1];
  if (fromAddress) return fromAddress;
  return input.nationalId !== undefined && MERSIS.test(input.nationalId) ? input.nationalId : undefined;
}

export async function createAccount(
  store: MailStore,
  domain: string,
  defaultQuota: number,
  input: CreateAccountInput,
): Promise<AccountRecord> {
  const type = input.type ?? 'person';
  const parsed = validateAccountAddress(input.address, type, domain);
  assertPassword(input.password);
  if (input.nationalId !== undefined && !NATIONAL_ID.test(input.nationalId)) {
    throw new UsageError(`national id "${input.nationalId}" must be 11 digits (TC kimlik no), 10 (VKN) or 16 (MERSIS)`);
  }
  if (input.quotaBytes !== undefined && (!Number.isSafeInteger(input.quotaBytes) || input.quotaBytes <= 0)) {
    throw new UsageError('quota must be a positive number of bytes');
  }
  if (type === 'entity' && input.listed === false) {
    throw new UsageError('legal entities are always listed in the KEP directory');
  }
  const mersis = entityMersis(type, parsed.local, input);
  if (await store.accounts.getByAddress(parsed.address)) {
    throw new ConflictError(`${parsed.address} is already taken (KEP addresses are never reissued)`);
  }
  return store.accounts.create(
    {
      address: parsed.address,
      type,
      nationalId: input.nationalId,
      displayName: input.displayName,
      passwordHash: await hashPassword(input.password),
      receiveOnly: input.receiveOnly ?? false,
      quotaBytes: input.quotaBytes ?? defaultQuota,
      state: input.pending ? 'pending' : 'active',
      listed: type === 'entity' || input.listed === true,
      mersis,
    },
    { actor: input.actor ?? 'system', at: input.now?.() },
  );
}

/** The authenticated party of an SMTP/IMAP session. */
export interface AuthUser {
  /** The account acted for: the holder's own, or the legal entity an operator acts for. */
  accountId: string;
  address: string;
  /** Login of the authorised operator (işlem yetkilisi) acting for an entity account. */
  operator?: string;
  authenticatedAt: Date;
}

/**
 * Checks a login: a KEP address with the holder's password, or an operator login with the
 * operator's. Accounts awaiting activation, removed operators and closed accounts past their
 * read-only period are refused. The same (slow) KDF work is done for unknown users so timing
 * reveals nothing.
 */
export async function authenticate(
  store: MailStore,
  username: string,
  password: string,
  now: () => Date = () => new Date(),
  policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
): Promise<AuthUser | null> {
  const name = username.trim().toLowerCase();
  const account = await store.accounts.getByAddress(name);
  const operator = account ? undefined : await store.operators.getByLogin(name);
  const hash = account?.passwordHash ?? (operator && !operator.removedAt ? operator.passwordHash : undefined);
  const ok = await verifyPassword(password, hash ?? DUMMY_HASH);
  if (!ok || hash === undefined) return null;
  const holder = account ?? (operator ? await store.accounts.getById(operator.accountId) : undefined);
  if (!holder || accountAccess(holder, now(), policy).kind === 'none') return null;
  const user: AuthUser = { accountId: holder.id, address: holder.address, authenticatedAt: now() };
  if (operator) user.operator = operator.login;
  return user;
}

/** Why the account may not change its mailboxes now (closed: read-only), or undefined. */
export async function mailboxWriteRefusal(store: MailStore, accountId: string, now: Date, policy: AccessPolicy): Promise<string | undefined> {
  const account = await store.accounts.getById(accountId);
  return account ? writeRefusal(account, now, policy) : 'the KEP account no longer exists';
}

/**
 * Why a logged-in principal may no longer stay (an operator was removed, an account's read-only
 * period ended while a session was open), or undefined while it may.
 */
export async function principalRefusal(
  store: MailStore,
  principal: { accountId: string; operator?: string },
  now: Date,
  policy: AccessPolicy,
): Promise<string | undefined> {
  const account = await store.accounts.getById(principal.accountId);
  if (!account) return 'the KEP account no longer exists';
  const access = accountAccess(account, now, policy);
  if (access.kind === 'none') return `access to KEP account <${account.address}> has ended: ${access.reason}`;
  if (principal.operator === undefined) return undefined;
  const operator = await store.operators.getByLogin(principal.operator);
  if (!operator || operator.accountId !== account.id || operator.removedAt) {
    return `operator ${principal.operator} is no longer authorised for KEP account <${account.address}>`;
  }
  return undefined;
}

/** A valid scrypt hash of a random password, to spend equal time on unknown users. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$Gq1p3wXz6c0m6e3l0t9o2y8B1n4Q7r5S2u8V0w3X6zA=';
