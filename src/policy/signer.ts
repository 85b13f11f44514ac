/**
 * Does the S/MIME signer certificate identify the sender (interface.md "Who may sign")?
 * Pure: takes already-extracted certificate attributes.
 */
export interface SignerAttributes {
  /** Subject serialNumber (OID 2.5.4.5) values. */
  serialNumbers: string[];
  /** rfc822Name entries of the subjectAltName (and legacy emailAddress in the subject). */
  emails: string[];
}

export interface SenderIdentity {
  address: string;
  nationalId?: string;
}

/** ETSI EN 319 412-1 semantics prefixes such as "PNOTR-" or "IDCTR-" wrap the national id. */
const SEMANTICS_PREFIX = /^(?:PAS|IDC|PNO|TIN|VAT|NTR|LEI)[A-Z]{2}-/i;

export function normaliseNationalId(value: string): string {
  return value.trim().replace(SEMANTICS_PREFIX, '').replace(/\s+/g, '').toUpperCase();
}

/** Returns undefined when the certificate identifies the sender, else a reason for the refusal. */
export function signerMismatch(signer: SignerAttributes, sender: SenderIdentity): string | undefined {
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
