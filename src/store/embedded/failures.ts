/** Classifies low-level failures: what may pass (busy, I/O, disk full) becomes StoreUnavailable. */
import Database from 'better-sqlite3';
import { KepError } from '../../errors';
import { StoreUnavailable } from '../errors';

const TRANSIENT_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EROFS', 'EAGAIN', 'EBUSY', 'ENOMEM']);

export function asStoreFailure(err: unknown): unknown {
  if (err instanceof KepError) return err;
  if (err instanceof Database.SqliteError && TRANSIENT_SQLITE.test(err.code)) {
    return new StoreUnavailable(`store database unavailable (${err.code})`, err);
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && TRANSIENT_ERRNO.has(code)) return new StoreUnavailable(`store files unavailable (${code})`, err);
  return err;
}
