/**
 * Typed errors. Every rejection carries the SMTP reply it maps to and, when it is a KEP
 * submission/delivery refusal, the ETSI reason code for the rejection evidence.
 */
import { ReasonCode } from '../evidence/reasons';

export interface SmtpReply {
  /** Basic reply code, e.g. 550. */
  code: number;
  /** RFC 3463 enhanced status code, e.g. "5.7.1". */
  enhanced: string;
}

export class KepError extends Error {
  override readonly name: string = 'KepError';
}

/** A permanent refusal of a submission (5xx) with the evidence reason. */
export class SubmissionRejected extends KepError {
  override readonly name: string = 'SubmissionRejected';
  constructor(
    readonly reply: SmtpReply,
    readonly reason: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/** A transient failure (4xx): nothing was accepted, the client should retry. */
export class TemporaryFailure extends KepError {
  override readonly name: string = 'TemporaryFailure';
  constructor(
    readonly reply: SmtpReply,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** The time-stamp authority could not give a valid token: no evidence may be issued. */
export class TimeStampUnavailable extends KepError {
  override readonly name: string = 'TimeStampUnavailable';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** Bad input to a command or configuration (CLI exit code 2). */
export class UsageError extends KepError {
  override readonly name: string = 'UsageError';
}

/** Configuration is invalid or unreadable. */
export class ConfigError extends KepError {
  override readonly name: string = 'ConfigError';
}

/** A unique thing already exists (e.g. an address is taken). */
export class ConflictError extends KepError {
  override readonly name: string = 'ConflictError';
}

export class NotFoundError extends KepError {
  override readonly name: string = 'NotFoundError';
}

export { ReasonCode };
