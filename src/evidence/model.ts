/**
 * The one internal evidence record every rendering (TS 102 640-2 XML, REM receipt, CLI rows)
 * is made from. Pure data: no I/O, no crypto.
 */
import type { EventName, ReasonCode } from './reasons';

/** The nine TS 102 640-2 v2 root elements (kep-rem.md §4.1). */
export const EVIDENCE_TYPES = [
  'SubmissionAcceptanceRejection',
  'RelayREMMDAcceptanceRejection',
  'RelayREMMDFailure',
  'DeliveryNonDeliveryToRecipient',
  'DownloadNonDownloadByRecipient',
  'RetrievalNonRetrievalByRecipient',
  'AcceptanceRejectionByRecipient',
  'RelayToNonREMSystem',
  'ReceivedFromNonREMSystem',
] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export function isEvidenceType(s: string): s is EvidenceType {
  return (EVIDENCE_TYPES as readonly string[]).includes(s);
}

/** A party (issuer, sender, recipient, delegate). Every field optional, as in EntityDetailsType. */
export interface EntityDetails {
  /** Display / legal name. */
  name?: string;
  /** KEP (e-mail) address, rendered as AttributedElectronicAddress scheme mailto. */
  address?: string;
  /** DER of the party's certificate, rendered as CertificateDetails/X509Certificate. */
  certificateDer?: Buffer;
}

export interface EvidenceReason {
  code: ReasonCode;
  /** Free text explaining the reason to a human (rendered as EventReason/Details). */
  details?: string;
}

export interface MessageDetails {
  subject: string;
  /** The user agent's Message-ID of the original, with angle brackets, when present. */
  uaMessageId?: string;
  /** MessageIdentifierByREMMD: the provider message id in Message-ID form `<ID@domain>`. */
  providerMessageId: string;
  /** SHA-256 of the exact bytes of the original message. */
  digestSha256?: Buffer;
}

export interface AuthenticationDetails {
  time: Date;
  /** URI naming the method (e.g. urn:kepd:auth:smtp-password+smime). */
  method: string;
}

/** Turkish KEP fields and operator attribution, rendered under rem:Extensions. */
export interface KepExtension {
  iletiTip?: 'standart' | 'eYazisma' | 'eTebligat';
  iletiId?: string;
  /** Login of the authorised operator (işlem yetkilisi) who acted for an entity account. */
  operator?: string;
}

export interface EvidenceData {
  /** NCName used as the root @Id (e.g. `ev-01J...`). */
  id: string;
  /** Globally unique EvidenceIdentifier (`<id>@<domain>`). */
  identifier: string;
  type: EvidenceType;
  event: EventName;
  /** Required (≥1) for negative events. */
  reasons?: EvidenceReason[];
  policyIds?: string[];
  issuer: EntityDetails;
  senderAuthentication?: AuthenticationDetails;
  recipientAuthentication?: AuthenticationDetails;
  eventTime: Date;
  submissionTime?: Date;
  replyTo?: string;
  sender: EntityDetails;
  /** All recipients of the original, in order; indexes below are 1-based into this list. */
  recipients: EntityDetails[];
  /** Delegate (e.g. operator who opened an entity's mail) and the 1-based recipient indexes. */
  recipientsDelegates?: { delegate: EntityDetails; recipients: number[] }[];
  /** 1-based index into `recipients` for per-recipient evidence. */
  refersToRecipient?: number;
  message?: MessageDetails;
  extension?: KepExtension;
}
