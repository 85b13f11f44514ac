/**
 * A read-only look at a data directory's SQLite file, for tests that check what the store
 * wrote (or what a daemon queued) beneath the MailStore interface.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/store/embedded/open';

/**
 * Runs `fn` on a read-only connection and closes it afterwards: when `fn` returns, or when
 * the promise it returns settles.
 */
export function readDatabase<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(dataDir, 'db', DATABASE_FILE), { readonly: true, fileMustExist: true });
  let result: T;
  try {
    result = fn(db);
  } catch (err) {
    db.close();
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => db.close()) as T;
  db.close();
  return result;
}
