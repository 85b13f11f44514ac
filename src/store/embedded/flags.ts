/** IMAP flag handling: pure functions, no I/O. */
import { InvalidStoreInput } from '../errors';

const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];
const SYSTEM_BY_LOWER = new Map(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

// RFC 3501 atom characters minus the flag specials; keywords never contain these.
const KEYWORD = /^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/;

/** Canonical spelling of one flag: system flags case-normalised, keywords kept as given. */
export function canonicalFlag(flag: string): string {
  if (flag.startsWith('\\')) {
    const sys = SYSTEM_BY_LOWER.get(flag.toLowerCase());
    // \Recent is session state in IMAP, never stored; other backslash flags are invalid.
    if (!sys) throw new InvalidStoreInput(`unsupported system flag ${flag}`);
    return sys;
  }
  if (!KEYWORD.test(flag)) throw new InvalidStoreInput(`invalid keyword ${JSON.stringify(flag)}`);
  return flag;
}

/** Canonical, de-duplicated (case-insensitively, as IMAP compares flags) flag list. */
export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of flags) {
    const c = canonicalFlag(f);
    const key = c.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/** The flag list after a STORE action. */
export function applyFlagAction(current: readonly string[], action: 'set' | 'add' | 'remove', flags: readonly string[]): string[] {
  const given = normalizeFlags(flags);
  if (action === 'set') return given;
  if (action === 'add') return normalizeFlags([...current, ...given]);
  const drop = new Set(given.map((f) => f.toLowerCase()));
  return current.filter((f) => !drop.has(f.toLowerCase()));
}

/** Same flags, ignoring order and case. */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}
