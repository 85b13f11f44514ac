/** Typed errors of the MIME scanner. */
import { KepError, ReasonCode, type SmtpReply } from '../errors';

/** The bytes are not a well-formed MIME entity. */
export class MimeFormatError extends KepError {
  override readonly name = 'MimeFormatError';
  readonly reason = ReasonCode.InvalidMessageFormat;
  readonly reply: SmtpReply = { code: 550, enhanced: '5.6.0' };
}
