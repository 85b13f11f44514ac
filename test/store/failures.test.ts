/** Low-level failures become the store's typed errors, each carrying the SMTP reply it maps to. */
import Database from 'better-sqlite3';
import { StorageFull, StoreUnavailable } from '../../src/store';
import { asStoreFailure } from '../../src/store/embedded/failures';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

test('a full disk is StorageFull (452 4.3.1); other passing troubles are StoreUnavailable (451 4.3.0); the rest is left alone', () => {
  for (const code of ['ENOSPC', 'EDQUOT']) {
    const e = asStoreFailure(errno(code));
    expect(e).toBeInstanceOf(StorageFull);
    expect(e).toBeInstanceOf(StoreUnavailable);
    expect((e as StorageFull).reply).toEqual({ code: 452, enhanced: '4.3.1' });
  }
  const full = asStoreFailure(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'));
  expect(full).toBeInstanceOf(StorageFull);
  for (const e of [asStoreFailure(errno('EIO')), asStoreFailure(new Database.SqliteError('database is locked', 'SQLITE_BUSY'))]) {
    expect(e).toBeInstanceOf(StoreUnavailable);
    expect(e).not.toBeInstanceOf(StorageFull);
    expect((e as StoreUnavailable).reply).toEqual({ code: 451, enhanced: '4.3.0' });
  }
  const bug = new TypeError('not a store failure');
  expect(asStoreFailure(bug)).toBe(bug);
});
