/** Certificates, trust, CMS/S-MIME signing and verification, and the development PKI. */
export type { SigningIdentity, TimeStamper } from './types';
export { ensureDevPki, devPkiPaths, type DevPkiOptions, type DevPkiPaths, type DevPkiResult } from './dev-pki';
export { issueUserCertificate, type UserCertificateOptions } from './user-cert';
export {
  parseCertificate,
  fingerprint,
  isSelfIssued,
  allowsExtendedKeyUsage,
  isValidAt,
  formatName,
  type CertificateInfo,
  type KeyUsageName,
  type NameAttribute,
} from './certs';
export { pemToDerList, derToPem, pemBlocks, certificatesFromFile } from './pem';
export { loadSigningIdentity, identityFromPem, assertPrivateKeyFileMode } from './identity';
export { TrustStore, addTrustedCa, type TrustedCertificate } from './trust-store';
export { validateChain, ChainError, type ChainOptions, type ChainFailure } from './chain';
export { signDetachedCades, type CadesSignOptions } from './cms-sign';
export { verifyDetachedCms, verifyEncapsulatedCms, type CmsVerifyOptions, type VerifiedCms, type ContentDigests } from './cms-verify';
export { verifySmimeMessage, type SmimeVerifyOptions, type VerifiedSmime } from './smime-verify';
export type { DigestAlgorithm } from './algorithms';
export { OID, DEV_TSA_POLICY_OID } from './oids';
export {
  SignatureVerificationError,
  CertificateFormatError,
  KeyFileError,
  NotACaCertificateError,
  DevPkiError,
  type SignatureFailure,
} from './errors';
