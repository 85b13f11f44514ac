/** Mailbox path rules. Pure. */
import { InvalidStoreInput } from '../errors';

/** Hierarchy delimiter of mailbox paths (e.g. `Projects/2025`). */
export const MAILBOX_DELIMITER = '/';

const INBOX = 'INBOX';

/** IMAP compares INBOX case-insensitively (also as the first level of a path); other names are exact. */
export function normalizeMailboxPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024) {
    throw new InvalidStoreInput('mailbox path must be 1 to 1024 characters');
  }
  // Control characters would break IMAP responses; empty levels make ambiguous hierarchies.
  if (/[\x00-\x1f\x7f]/.test(path)) throw new InvalidStoreInput('mailbox path contains control characters');
  if (path.split(MAILBOX_DELIMITER).some((level) => level.length === 0)) {
    throw new InvalidStoreInput(`mailbox path ${JSON.stringify(path)} has an empty level`);
  }
  const first = path.split(MAILBOX_DELIMITER, 1)[0];
  if (first.toUpperCase() === INBOX) return INBOX + path.slice(first.length);
  return path;
}

export function isInbox(path: string): boolean {
  return normalizeMailboxPath(path) === INBOX;
}

/** `path` with the prefix `from` replaced by `to` when `path` is `from` or below it. */
export function renamedPath(path: string, from: string, to: string): string | undefined {
  if (path === from) return to;
  if (path.startsWith(from + MAILBOX_DELIMITER)) return to + path.slice(from.length);
  return undefined;
}
