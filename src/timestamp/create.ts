/** Chooses the time-stamper from configuration: an HTTP TSA, or the built-in one when no URL is set. */
import type { SigningIdentity, TimeStamper } from '../pki/types';
import { BuiltInTsa } from './built-in-tsa';
import { HttpTimeStamper } from './http-client';

export interface TimeStamperConfig {
  /** `tsa.url`; empty = built-in TSA. */
  url: string;
  timeoutMs: number;
  /** The TSA identity used when no URL is configured. */
  builtIn: SigningIdentity;
  /** DER of the CAs trusted for an external TSA's certificate. */
  trustAnchors: Buffer[];
}

export function createTimeStamper(opts: TimeStamperConfig): TimeStamper {
  if (!opts.url.trim()) return new BuiltInTsa(opts.builtIn);
  return new HttpTimeStamper({ url: opts.url.trim(), timeoutMs: opts.timeoutMs, trustAnchors: opts.trustAnchors });
}
