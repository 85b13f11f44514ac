/** Account creation and authentication on top of the store (decisions here, storage in store). */
import { ConflictError, UsageError } from '../errors';
import type { AccountRecord, AccountType, MailStore } from '../store/types';
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
}

/** TC kimlik no: 11 digits; MERSIS: 16 digits; VKN: 10 digits. Anything else is refused. */
const NATIONAL_ID = /^(?:[0-9]{10}|[0-9]{11}|[0-9]{16})$/;

export async function createAccount(
  store: MailStore,
  domain: string,
  defaultQuota: number,
  input: CreateAccountInput,
): Promise<AccountRecord> {
  const type = input.type ?? 'person';
  const parsed = validateAccountAddress(input.address, type, domain);
  if (!input.password || input.password.length < 8) {
    throw new UsageError('the password must be at least 8 characters long');
  }
  if (input.nationalId !== undefined && !NATIONAL_ID.test(input.nationalId)) {
    throw new UsageError(`national id "${input.nationalId}" must be 11 digits (TC kimlik no), 10 (VKN) or 16 (MERSIS)`);
  }
  if (input.quotaBytes !== undefined && (!Number.isSafeInteger(input.quotaBytes) || input.quotaBytes <= 0)) {
    throw new UsageError('quota must be a positive number of bytes');
  }
  if (await store.accounts.getByAddress(parsed.address)) {
    throw new ConflictError(`${parsed.address} is already taken (KEP addresses are never reissued)`);
  }
  return store.accounts.create({
    address: parsed.address,
    type,
    nationalId: input.nationalId,
    displayName: input.displayName,
    passwordHash: await hashPassword(input.password),
    receiveOnly: input.receiveOnly ?? false,
    quotaBytes: input.quotaBytes ?? defaultQuota,
    state: 'active',
  });
}

/** The authenticated party of an SMTP/IMAP session. */
export interface AuthUser {
  accountId: string;
  address: string;
  /** Login of the operator acting for an entity account (later: operators). */
  operator?: string;
  authenticatedAt: Date;
}

/** Checks a login; the same (slow) KDF work is done for unknown users so timing reveals nothing. */
export async function authenticate(
  store: MailStore,
  username: string,
  password: string,
  now: () => Date = () => new Date(),
): Promise<AuthUser | null> {
  const account = await store.accounts.getByAddress(username.trim().toLowerCase());
  const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
  if (!account || !ok || account.state === 'pending') return null;
  return { accountId: account.id, address: account.address, authenticatedAt: now() };
}

/** A valid scrypt hash of a random password, to spend equal time on unknown users. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$Gq1p3wXz6c0m6e3l0t9o2y8B1n4Q7r5S2u8V0w3X6zA=';
