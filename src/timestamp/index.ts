/** RFC 3161 time-stamps: built-in TSA, HTTP client and server, token verification. */
export { BuiltInTsa, DEV_TSA_POLICY_OID, type BuiltInTsaOptions } from './built-in-tsa';
export { HttpTimeStamper, type HttpTimeStamperOptions } from './http-client';
export { TsaHttpServer } from './http-server';
export { createTimeStamper, type TimeStamperConfig } from './create';
export { verifyTimeStampToken, type VerifiedTimeStamp, type TimeStampVerifyOptions } from './verify';
export { TimeStampVerificationError, type TimeStampFailure } from './errors';
export {
  encodeTimeStampRequest,
  parseTimeStampRequest,
  parseTimeStampResponse,
  PkiStatus,
  type TimeStampRequest,
  type TimeStampResponse,
} from './protocol';
