/**
 * Rules for mailbox names an account may create or rename to, and which mailboxes are fixed.
 * The default mailboxes (interface.md "Mailboxes") carry KEP traffic and evidence receipts:
 * they can be neither deleted nor renamed.
 */
import { DEFAULT_MAILBOXES } from '../store/types';

/** Mailboxes per account, defaults included (unbounded creation is a known abuse). */
export const DEFAULT_MAX_MAILBOXES = 1000;
const MAX_PATH_LENGTH = 512;
const MAX_DEPTH = 16;

const FIXED = new Set(DEFAULT_MAILBOXES.map((m) => m.path));

export function isFixedMailbox(path: string): boolean {
  return FIXED.has(path);
}

/** Why a new mailbox path is not acceptable, or undefined when it is. */
export function newPathProblem(path: string): string | undefined {
  if (!path) return 'Mailbox name is empty';
  if (path.length > MAX_PATH_LENGTH) return `Mailbox name is longer than ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) return `Mailbox hierarchy is deeper than ${MAX_DEPTH} levels`;
  if (segments.some((s) => !s.trim())) return 'Mailbox name has an empty level';
  // wildcards would make LIST patterns ambiguous; control characters break clients
  if (/[*%\u0000-\u001f\u007f]/.test(path)) return 'Mailbox name contains a wildcard or control character';
  return undefined;
}
