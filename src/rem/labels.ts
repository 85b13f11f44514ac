/** Human names of evidence events (Turkish first, English second), for subjects and intros. */
import type { EvidenceType } from '../evidence/model';
import type { EventName } from '../evidence/reasons';

export interface EventLabel {
  /** Short Turkish name, as KEP users know it ("Kabul", "Teslim", "Okundu"...). */
  tr: string;
  /** English sentence fragment: "was accepted by the provider". */
  en: string;
}

const LABELS: Record<string, EventLabel> = {
  'SubmissionAcceptanceRejection/Acceptance': { tr: 'Kabul', en: 'was accepted by the sender’s KEP provider' },
  'SubmissionAcceptanceRejection/Rejection': { tr: 'Ret', en: 'was rejected by the sender’s KEP provider' },
  'RelayREMMDAcceptanceRejection/Acceptance': { tr: 'Alıcı KEPHS kabul', en: 'was accepted by the recipient’s KEP provider' },
  'RelayREMMDAcceptanceRejection/Rejection': { tr: 'Alıcı KEPHS ret', en: 'was rejected by the recipient’s KEP provider' },
  'RelayREMMDFailure/DeliveryExpiration': { tr: 'Aktarım hatası', en: 'could not be relayed to the recipient’s KEP provider' },
  'DeliveryNonDeliveryToRecipient/Delivery': { tr: 'Teslim', en: 'was delivered to the recipient’s mailbox' },
  'DeliveryNonDeliveryToRecipient/NonDelivery': { tr: 'Teslim edilemedi', en: 'could not be delivered to the recipient’s mailbox' },
  'DeliveryNonDeliveryToRecipient/DeliveryExpiration': { tr: 'Teslim edilemedi (zaman aşımı)', en: 'was not delivered in time' },
  'RetrievalNonRetrievalByRecipient/Retrieval': { tr: 'Okundu', en: 'was opened by the recipient' },
  'RetrievalNonRetrievalByRecipient/RetrievalExpiration': { tr: 'Okunmadı (zaman aşımı)', en: 'was not opened by the recipient in time' },
};

export function eventLabel(type: EvidenceType, event: EventName): EventLabel {
  return LABELS[`${type}/${event}`] ?? { tr: `${type} ${event}`, en: `${type}: ${event}` };
}

/** Subject of a REM receipt: `KEP Delili (Kabul): <original subject>`. */
export function receiptSubject(type: EvidenceType, event: EventName, originalSubject: string): string {
  return `KEP Delili (${eventLabel(type, event).tr}): ${originalSubject}`;
}

/** Subject of a REM dispatch: `KEP İletisi: <original subject>`. */
export function dispatchSubject(originalSubject: string): string {
  return `KEP İletisi: ${originalSubject}`;
}
