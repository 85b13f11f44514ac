/** Shared shapes of the PKI and time-stamp modules (crypto lives behind these). */
import type { KeyObject } from 'node:crypto';

/** A private key with its certificate and chain: the provider's işlem sertifikası, the TSA, TLS. */
export interface SigningIdentity {
  /** DER of the leaf certificate. */
  certificateDer: Buffer;
  /** DER of the intermediates up to (not including) the trust anchor; empty when issued by the root. */
  chainDer: Buffer[];
  privateKey: KeyObject;
}

/** RFC 3161 time-stamping, built-in or over HTTP. */
export interface TimeStamper {
  /**
   * Returns a DER TimeStampToken (CMS ContentInfo/SignedData) whose message imprint is the
   * given SHA-256 digest. Throws TimeStampUnavailable when no valid token can be had.
   */
  stamp(sha256Digest: Buffer): Promise<Buffer>;
}
