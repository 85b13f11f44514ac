/**
 * ETSI TS 102 640-2 Annex D event reasons (kep-rem.md §4.3) and event codes (§4.2).
 * URIs are emitted exactly as the spec writes them (no "//" after "http:").
 */
export enum ReasonCode {
  InvalidMessageFormat = 1,
  MalwareFound = 2,
  InvalidUserSignature = 3,
  UserCertExpiredOrRevoked = 4,
  PolicyViolation = 5,
  R_REMMD_Malfunction = 6,
  R_REMMD_NotIdentified = 7,
  R_REMMD_Unreachable = 8,
  S_REMMD_ReceivedNoDeliveryInfoFromR_REMMD = 9,
  UnknownRecipient = 10,
  MailboxFull = 11,
  TechnicalMalfunction = 12,
  AttachementFormatNotAccepted = 13,
  RecipientRejection = 14,
  RetentionPeriodExpired = 15,
  RegularEmailUnreachable = 16,
  RegularEmailNonOperational = 17,
  RegularEmailRejection = 18,
  PrintingSystemUnreachable = 19,
  PrintingSystemNonOperational = 20,
  PrintingBufferFull = 21,
  Other = 22,
}

export const REASON_URI_PREFIX = 'http:uri.etsi.org/REM/EventReason#';
export const EVENT_URI_PREFIX = 'http:uri.etsi.org/02640/Event#';

export function reasonUri(code: ReasonCode): string {
  return REASON_URI_PREFIX + ReasonCode[code];
}

/** Parses a reason URI leniently (with or without "//"); undefined for private codes. */
export function parseReasonUri(uri: string): ReasonCode | undefined {
  const m = /^http:(?:\/\/)?uri\.etsi\.org\/REM\/EventReason#([A-Za-z_]+)$/.exec(uri.trim());
  if (!m) return undefined;
  const name = m[1] === 'R_REMMD_NotIdenified' ? 'R_REMMD_NotIdentified' : m[1];
  const v = (ReasonCode as unknown as Record<string, number | undefined>)[name];
  return typeof v === 'number' ? (v as ReasonCode) : undefined;
}

export type EventName =
  | 'Acceptance'
  | 'Rejection'
  | 'Delivery'
  | 'NonDelivery'
  | 'DeliveryExpiration'
  | 'Retrieval'
  | 'RetrievalExpiration'
  | 'Download'
  | 'DownloadExpiration';

export const NEGATIVE_EVENTS: ReadonlySet<EventName> = new Set<EventName>([
  'Rejection',
  'NonDelivery',
  'DeliveryExpiration',
  'RetrievalExpiration',
  'DownloadExpiration',
]);

export function eventUri(event: EventName): string {
  return EVENT_URI_PREFIX + event;
}

export function parseEventUri(uri: string): EventName | undefined {
  const m = /^http:(?:\/\/)?uri\.etsi\.org\/02640\/Event#([A-Za-z]+)$/.exec(uri.trim());
  return m ? (m[1] as EventName) : undefined;
}
