/**
 * The KEP directory (rehber, kep-rem.md §8.3): lookups by address, name or MERSIS number, and a
 * bulk check of many addresses. Only accounts that are listed and active are ever shown —
 * legal entities always, persons only when they opted in. An unlisted or closed account answers
 * exactly like an address nobody holds, and persons' national ids are never searchable.
 */
import { UsageError } from '../errors';
import type { AccountRecord, AccountType, DirectoryQuery, MailStore } from '../store/types';
import { InvalidAddressError, parseAddress } from './address';

/** What the directory shows of an account. */
export interface DirectoryEntry {
  address: string;
  type: AccountType;
  name?: string;
  /** Legal entities only. */
  mersis?: string;
}

export type CheckStatus = 'listed' | 'not listed' | 'invalid';

export interface CheckResult {
  /** The line as given (trimmed). */
  input: string;
  status: CheckStatus;
  /** Why an input is invalid. */
  detail?: string;
  entry?: DirectoryEntry;
}

const MIN_NAME = 3;
const MAX_RESULTS = 50;
/** Bounds one bulk check (a file of addresses). */
export const MAX_CHECK_LINES = 100_000;

export function entryOf(account: AccountRecord): DirectoryEntry {
  const e: DirectoryEntry = { address: account.address, type: account.type };
  if (account.displayName) e.name = account.displayName;
  if (account.type === 'entity' && account.mersis) e.mersis = account.mersis;
  return e;
}

/** What a lookup text asks for: an address, a MERSIS number, or (part of) a name. */
export function classifyQuery(text: string): DirectoryQuery {
  const q = text.trim();
  if (q.includes('@')) return { address: parseAddress(q).address };
  if (/^[0-9]{16}$/.test(q)) return { mersis: q };
  if (/^[0-9\s]+$/.test(q)) {
    throw new UsageError('only MERSIS numbers (16 digits) can be looked up; national ids of persons are not searchable');
  }
  if (q.length < MIN_NAME) throw new UsageError(`give at least ${MIN_NAME} characters of a name, a KEP address or a MERSIS number`);
  return { name: q };
}

export async function lookup(store: MailStore, text: string, limit = MAX_RESULTS): Promise<DirectoryEntry[]> {
  const query = classifyQuery(text);
  return (await store.accounts.listedAccounts(query, limit)).map(entryOf);
}

/** Checks addresses one a line; blank lines and lines starting with # are skipped. */
export async function checkAddresses(store: MailStore, lines: string[]): Promise<CheckResult[]> {
  const inputs = lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (inputs.length > MAX_CHECK_LINES) throw new UsageError(`at most ${MAX_CHECK_LINES} addresses per check`);
  const out: CheckResult[] = [];
  for (const input of inputs) {
    let address: string;
    try {
      address = parseAddress(input).address;
    } catch (e) {
      if (!(e instanceof InvalidAddressError)) throw e;
      out.push({ input, status: 'invalid', detail: e.message });
      continue;
    }
    const [found] = await store.accounts.listedAccounts({ address }, 1);
    out.push(found ? { input, status: 'listed', entry: entryOf(found) } : { input, status: 'not listed' });
  }
  return out;
}
