/** Flags as stored: \Recent is session state in IMAP and is never stored. */
export function storableFlags(flags: string[]): string[] {
  return [...new Set(flags.filter((f) => f && f.toLowerCase() !== '\\recent'))];
}
