/** Typed errors of the time-stamp module. */
import { KepError } from '../errors';
import type { SignatureFailure } from '../pki/errors';

export type TimeStampFailure = Exclude<SignatureFailure, 'unsigned'> | 'imprint-mismatch';

/** A time-stamp token that cannot be relied on; `failure` says why. */
export class TimeStampVerificationError extends KepError {
  override readonly name = 'TimeStampVerificationError';
  constructor(
    readonly failure: TimeStampFailure,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}
