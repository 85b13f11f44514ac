/** Classifies low-level failures: what may pass becomes StoreUnavailable, a full disk StorageFull. */
import Database from 'better-sqlite3';
import { KepError } from '../../errors';
import { StorageFull, StoreUnavailable } from '../errors';

const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EROFS', 'EAGAIN', 'EBUSY', 'ENOMEM']);
const FULL_ERRNO = new Set(['ENOSPC', 'EDQUOT']);

export function asStoreFailure(err: unknown): unknown {
  if (err instanceof KepError) return err;
  if (err instanceof Database.SqliteError && err.code === 'SQLITE_FULL') {
    return new StorageFull(`store database cannot grow: the disk is full (${err.code})`, err);
  }
  if (err instanceof Database.SqliteError && TRANSIENT_SQLITE.test(err.code)) {
    return new StoreUnavailable(`store database unavailable (${err.code})`, err);
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && FULL_ERRNO.has(code)) return new StorageFull(`store files cannot grow: the disk is full (${code})`, err);
  if (typeof code === 'string' && TRANSIENT_ERRNO.has(code)) return new StoreUnavailable(`store files unavailable (${code})`, err);
  return err;
}
