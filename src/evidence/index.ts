/** Evidence engine: the evidence record, TS 102 640-2 XML, XAdES-T signing and verification. */
export * from './model';
export * from './reasons';
export { InvalidEvidenceData, EvidenceParseError, EvidenceSigningError } from './errors';
export { newEvidenceId } from './ids';
export { renderEvidenceXml } from './render';
export { parseEvidenceXml } from './parse';
export { EvidenceSigner, type EvidenceSignerOptions } from './xades-sign';
export { NS_REM, NS_DS, NS_XADES, NS_KEPD_EXT } from './namespaces';
export {
  verifyEvidence,
  type EvidenceVerifyOptions,
  type EvidenceVerification,
  type EvidenceChecks,
  type OriginalSource,
} from './verify';
export type { ParseLimits } from './dom';
