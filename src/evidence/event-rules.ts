/**
 * Which events each evidence type may carry when we emit it (kep-rem.md §4.1, §4.2).
 * Parsing stays lenient; only rendering enforces this.
 */
import type { EvidenceType } from './model';
import { NEGATIVE_EVENTS, type EventName } from './reasons';

const ALLOWED: Readonly<Partial<Record<EvidenceType, readonly EventName[]>>> = {
  SubmissionAcceptanceRejection: ['Acceptance', 'Rejection'],
  RelayREMMDAcceptanceRejection: ['Acceptance', 'Rejection'],
  RelayREMMDFailure: ['DeliveryExpiration'],
  // DeliveryExpiration: non-delivery issued by the sender's provider on timeout.
  DeliveryNonDeliveryToRecipient: ['Delivery', 'NonDelivery', 'DeliveryExpiration'],
  DownloadNonDownloadByRecipient: ['Download', 'DownloadExpiration'],
  RetrievalNonRetrievalByRecipient: ['Retrieval', 'RetrievalExpiration'],
  AcceptanceRejectionByRecipient: ['Acceptance', 'Rejection'],
  // RelayToNonREMSystem / ReceivedFromNonREMSystem: no event list known; not used by KEP.
};

export function isEventAllowed(type: EvidenceType, event: EventName): boolean {
  const allowed = ALLOWED[type];
  return allowed === undefined || allowed.includes(event);
}

export function isNegativeEvent(event: EventName): boolean {
  return NEGATIVE_EVENTS.has(event);
}
