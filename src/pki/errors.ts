/** Typed errors of the PKI module; each names what it maps to for a submission. */
import { KepError, ReasonCode, type SmtpReply } from '../errors';

/** Why a signature was not accepted. */
export type SignatureFailure =
  | 'malformed'
  | 'bad-signature'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'weak-algorithm'
  | 'wrong-usage'
  | 'unsigned';

const REPLY: Record<SignatureFailure, SmtpReply> = {
  malformed: { code: 550, enhanced: '5.7.5' },
  'bad-signature': { code: 550, enhanced: '5.7.7' },
  untrusted: { code: 550, enhanced: '5.7.5' },
  expired: { code: 550, enhanced: '5.7.5' },
  'not-yet-valid': { code: 550, enhanced: '5.7.5' },
  'weak-algorithm': { code: 550, enhanced: '5.7.6' },
  'wrong-usage': { code: 550, enhanced: '5.7.5' },
  unsigned: { code: 550, enhanced: '5.7.1' },
};

/**
 * A signature (CMS, S/MIME) that cannot be accepted. `reason` is the ETSI reason for a
 * rejection evidence: certificate validity problems are UserCertExpiredOrRevoked, the rest
 * InvalidUserSignature.
 */
export class SignatureVerificationError extends KepError {
  override readonly name = 'SignatureVerificationError';
  readonly reason: ReasonCode;
  readonly reply: SmtpReply;
  constructor(
    readonly failure: SignatureFailure,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.reason =
      failure === 'expired' || failure === 'not-yet-valid' ? ReasonCode.UserCertExpiredOrRevoked : ReasonCode.InvalidUserSignature;
    this.reply = REPLY[failure];
  }
}

/** Bytes that should be a certificate (PEM or DER) are not one. */
export class CertificateFormatError extends KepError {
  override readonly name = 'CertificateFormatError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** A private key file is unusable: unreadable, insecure permissions, or not matching its certificate. */
export class KeyFileError extends KepError {
  override readonly name = 'KeyFileError';
  constructor(
    readonly file: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** A certificate offered as a trust anchor is not a CA certificate. */
export class NotACaCertificateError extends KepError {
  override readonly name = 'NotACaCertificateError';
}

/** The development PKI cannot be completed (e.g. the CA key is missing but certificates must be issued). */
export class DevPkiError extends KepError {
  override readonly name = 'DevPkiError';
}
