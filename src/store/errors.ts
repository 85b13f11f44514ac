/**
 * Errors raised by the store. Each extends the shared error a caller already handles
 * (ConflictError, NotFoundError, TemporaryFailure, ...), so protocol layers can map them to a
 * reply without knowing the store.
 */
import { ConfigError, ConflictError, KepError, NotFoundError, TemporaryFailure, UsageError, type SmtpReply } from '../errors';

/** The configured backend is not part of this build. */
export class StoreBackendUnavailable extends ConfigError {
  override readonly name = 'StoreBackendUnavailable';
  constructor(readonly backend: string) {
    super(`store backend "${backend}" is not available in this build yet; use store.backend = "embedded"`);
  }
}

/** The database was written by a newer kepd (schema version unknown to this build). */
export class SchemaTooNew extends KepError {
  override readonly name = 'SchemaTooNew';
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`store schema version ${found} is newer than this build supports (${supported}); upgrade kepd`);
  }
}

/** The store could not apply a change for a reason that may pass (busy, I/O, disk full). */
export class StoreUnavailable extends TemporaryFailure {
  override readonly name: string = 'StoreUnavailable';
  constructor(message: string, cause?: unknown, reply: SmtpReply = { code: 451, enhanced: '4.3.0' }) {
    super(reply, message, cause);
  }
}

/**
 * The disk (or the account's filesystem quota) is full: nothing was stored. RFC 3463 4.3.1
 * "mail system full" with 452, as RFC 5321 names it for insufficient system storage.
 */
export class StorageFull extends StoreUnavailable {
  override readonly name = 'StorageFull';
  constructor(message: string, cause?: unknown) {
    super(message, cause, { code: 452, enhanced: '4.3.1' });
  }
}

/** A job's lease was lost (expired and claimed by another worker, or already completed). */
export class LeaseLost extends ConflictError {
  override readonly name = 'LeaseLost';
  constructor(readonly jobId: string) {
    super(`lease of job ${jobId} is no longer held`);
  }
}

export class BlobNotFound extends NotFoundError {
  override readonly name = 'BlobNotFound';
  constructor(readonly hash: string) {
    super(`blob ${hash} not found`);
  }
}

export class AccountNotFound extends NotFoundError {
  override readonly name = 'AccountNotFound';
  constructor(readonly accountId: string) {
    super(`account ${accountId} not found`);
  }
}

export class MailboxNotFound extends NotFoundError {
  override readonly name = 'MailboxNotFound';
  constructor(readonly mailbox: string) {
    super(`mailbox ${mailbox} not found`);
  }
}

/** A mailbox operation the store refuses (e.g. deleting INBOX, moving across accounts). */
export class MailboxOperationRefused extends UsageError {
  override readonly name = 'MailboxOperationRefused';
}

/** Malformed input to the store (bad range, hash, path or flag). */
export class InvalidStoreInput extends UsageError {
  override readonly name = 'InvalidStoreInput';
}

/** Stored bytes do not match what the index recorded (tampering or disk corruption). */
export class StoredDataCorrupt extends KepError {
  override readonly name = 'StoredDataCorrupt';
}
