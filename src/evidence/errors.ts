/**
 * Errors of the evidence engine. Rendering errors are programming/data errors of the caller
 * (no evidence may be issued from such a record); parse errors describe untrusted input.
 */
import { KepError } from '../errors';

/** The evidence record cannot be rendered as TS 102 640-2 XML (maps to: internal error, no evidence issued). */
export class InvalidEvidenceData extends KepError {
  override readonly name = 'InvalidEvidenceData';
  constructor(
    /** Dotted path of the offending field in EvidenceData, e.g. `recipients[0].address`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Input is not a readable TS 102 640-2 evidence (maps to: "unusable input", CLI exit 2). */
export class EvidenceParseError extends KepError {
  override readonly name = 'EvidenceParseError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** The signing identity cannot be used for XAdES (unsupported key type, unreadable certificate). */
export class EvidenceSigningError extends KepError {
  override readonly name = 'EvidenceSigningError';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
