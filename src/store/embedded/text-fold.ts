/**
 * Case- and diacritic-insensitive matching for directory name lookups: "ornek" finds
 * "ÖRNEK Holding". Registered as the SQL function kep_fold on each connection.
 */
import type { SqliteDb } from './database';

export function foldText(s: string): string {
  // dotted/dotless i first: their Unicode lower-casing is not the ASCII letter
  return s
    .replace(/[ıİI]/g, 'i')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
}

export function registerTextFold(db: SqliteDb): void {
  db.raw.function('kep_fold', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? foldText(value) : null));
}
