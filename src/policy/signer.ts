/**
 * Does the S/MIME signer certificate identify the sender (interface.md "Who may sign")?
 * Pure: takes already-extracted certificate attributes.
 */
export interface SignerAttributes {
  /** Subject serialNumber (OID 2.5.4.5) values. */
  serialNumbers: string[];
  /** rfc822Name entries of the subjectAltName (and legacy emailAddress in the subject). */
  emails: string[];
  /** SHA-256 (hex) of the certificate's DER. */
  sha256?: string;
}

export interface SenderIdentity {
  address: string;
  nationalId?: string;
  /**
   * SHA-256 (hex) of the certificate registered for an acting operator: then that certificate,
   * and no other, identifies the sender.
   */
  registeredCertificateSha256?: string;
  /** Who the registered certificate belongs to (for the refusal text). */
  operator?: string;
}

/** ETSI EN 319 412-1 semantics prefixes such as "PNOTR-" or "IDCTR-" wrap the national id. */
const SEMANTICS_PREFIX = /^(?:PAS|IDC|PNO|TIN|VAT|NTR|LEI)[A-Z]{2}-/i;

export function normaliseNationalId(value: string): string {
  return value.trim().replace(SEMANTICS_PREFIX, '').replace(/\s+/g, '').toUpperCase();
}

/** Returns undefined when the certificate identifies the sender, else a reason for the refusal. */
export function signerMismatch(signer: SignerAttributes, sender: SenderIdentity): string | undefined {
  if (sender.registeredCertificateSha256 !== undefined) {
    if (signer.sha256 !== undefined && signer.sha256.toLowerCase() === sender.registeredCertificateSha256.toLowerCase()) return undefined;
    const who = sender.operator ? `operator ${sender.operator}` : 'the acting operator';
    return `the certificate is not the one registered for ${who} of <${sender.address}>`;
  }
  if (sender.nationalId) {
    const want = normaliseNationalId(sender.nationalId);
    if (signer.serialNumbers.some((s) => normaliseNationalId(s) === want)) return undefined;
    return signer.serialNumbers.length
      ? 'the certificate subject serialNumber is not the national id registered for the sender'
      : 'the certificate carries no subject serialNumber (national id) and the sender has one registered';
  }
  const want = sender.address.toLowerCase();
  if (signer.emails.some((e) => e.trim().toLowerCase() === want)) return undefined;
  return `the certificate is issued to ${signer.emails.length ? signer.emails.join(', ') : 'no e-mail address'}, not <${sender.address}>`;
}
