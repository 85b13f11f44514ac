/**
 * EvidenceData → unsigned TS 102 640-2 v2 evidence XML (root element = evidence type,
 * children in REMEvidenceType schema order). Pure: no I/O, no crypto.
 *
 * The root element is written in exclusive-canonical form: each namespace is declared on the
 * outermost element that uses it (rem on the root, ds on the digest elements, kepd on the
 * extension), so the signer can digest these very bytes without re-parsing them.
 */
import { encodeAddress } from './address';
import { InvalidEvidenceData } from './errors';
import { isEventAllowed, isNegativeEvent } from './event-rules';
import { isEvidenceType, type AuthenticationDetails, type EntityDetails, type EvidenceData } from './model';
import { EVIDENCE_VERSION, NS_DS, NS_KEPD_EXT, NS_REM, ALG_SHA256 } from './namespaces';
import { ReasonCode, eventUri, reasonUri, type EventName } from './reasons';
import { XmlWriter } from './xml-writer';
import { checkedValue, formatDateTime, hasOnlyXmlChars, isNCName, toXmlChars } from './xml-text';

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const KNOWN_EVENTS: ReadonlySet<string> = new Set<EventName>([
  'Acceptance',
  'Rejection',
  'Delivery',
  'NonDelivery',
  'DeliveryExpiration',
  'Retrieval',
  'RetrievalExpiration',
  'Download',
  'DownloadExpiration',
]);
const ILETI_TIPS: ReadonlySet<string> = new Set(['standart', 'eYazisma', 'eTebligat']);

/** The complete unsigned evidence document (UTF-8 text, with XML declaration). */
export function renderEvidenceXml(data: EvidenceData): string {
  return XML_DECLARATION + renderEvidenceElement(data) + '\n';
}

/**
 * The root element alone. Its last characters are `</rem:<type>>`; the signer inserts the
 * ds:Signature right before that closing tag, leaving every other byte as rendered.
 */
export function renderEvidenceElement(data: EvidenceData): string {
  checkEnvelope(data);
  const root = `rem:${data.type}`;
  const w = new XmlWriter();
  w.open(root, [
    ['xmlns:rem', NS_REM],
    ['Id', data.id],
    ['version', EVIDENCE_VERSION],
  ]);
  w.leaf('rem:EventCode', eventUri(data.event));
  renderReasons(w, data);
  w.leaf('rem:EvidenceIdentifier', checkedValue(data.identifier, 'identifier'));
  if (data.policyIds && data.policyIds.length > 0) {
    w.open('rem:EvidenceIssuerPolicyID');
    data.policyIds.forEach((p, i) => w.leaf('rem:PolicyID', checkedValue(p, `policyIds[${i}]`)));
    w.close('rem:EvidenceIssuerPolicyID');
  }
  if (!data.issuer || (!data.issuer.name && !data.issuer.address)) {
    throw new InvalidEvidenceData('issuer', 'needs a name or an address');
  }
  renderEntity(w, 'rem:EvidenceIssuerDetails', data.issuer, 'issuer');
  if (data.senderAuthentication) {
    renderAuthentication(w, 'rem:SenderAuthenticationDetails', data.senderAuthentication, 'senderAuthentication');
  }
  if (data.recipientAuthentication) {
    renderAuthentication(w, 'rem:RecipientAuthenticationDetails', data.recipientAuthentication, 'recipientAuthentication');
  }
  w.leaf('rem:EventTime', formatDateTime(data.eventTime, 'eventTime'));
  if (data.submissionTime) w.leaf('rem:SubmissionTime', formatDateTime(data.submissionTime, 'submissionTime'));
  if (data.replyTo) renderReplyTo(w, data.replyTo);
  if (!data.sender?.address) throw new InvalidEvidenceData('sender.address', 'missing');
  renderEntity(w, 'rem:SenderDetails', data.sender, 'sender');
  renderRecipients(w, data);
  if (data.message) renderMessage(w, data);
  renderExtension(w, data);
  w.close(root);
  // The writer ends every line with "\n"; the root element itself ends at its closing tag.
  return w.toString().slice(0, -1);
}

function checkEnvelope(data: EvidenceData): void {
  if (!isEvidenceType(data.type)) throw new InvalidEvidenceData('type', `unknown evidence type ${String(data.type)}`);
  if (typeof data.id !== 'string' || !isNCName(data.id)) {
    throw new InvalidEvidenceData('id', 'must be an NCName (xs:ID), e.g. not starting with a digit');
  }
  if (!KNOWN_EVENTS.has(data.event)) throw new InvalidEvidenceData('event', `unknown event ${String(data.event)}`);
  if (!isEventAllowed(data.type, data.event)) {
    throw new InvalidEvidenceData('event', `${data.event} is not an event of ${data.type}`);
  }
  if (isNegativeEvent(data.event) && !(data.reasons && data.reasons.length > 0)) {
    throw new InvalidEvidenceData('reasons', `negative event ${data.event} needs at least one reason`);
  }
}

function renderReasons(w: XmlWriter, data: EvidenceData): void {
  const reasons = data.reasons ?? [];
  if (reasons.length === 0) return;
  w.open('rem:EventReasons');
  reasons.forEach((r, i) => {
    if (typeof ReasonCode[r.code] !== 'string') throw new InvalidEvidenceData(`reasons[${i}].code`, `unknown code ${String(r.code)}`);
    w.open('rem:EventReason');
    w.leaf('rem:Code', reasonUri(r.code));
    if (r.details !== undefined) w.leaf('rem:Details', toXmlChars(r.details));
    w.close('rem:EventReason');
  });
  w.close('rem:EventReasons');
}

function renderEntity(w: XmlWriter, element: string, e: EntityDetails, field: string): void {
  w.open(element);
  if (e.name) {
    w.open('rem:NamesPostalAddresses').open('rem:NamePostalAddress').open('rem:EntityName');
    w.leaf('rem:Name', toXmlChars(e.name));
    w.close('rem:EntityName').close('rem:NamePostalAddress').close('rem:NamesPostalAddresses');
  }
  if (e.address !== undefined) {
    w.leaf('rem:AttributedElectronicAddress', encodeAddress(checkedValue(e.address, `${field}.address`)), [['scheme', 'mailto']]);
  }
  if (e.certificateDer !== undefined) {
    if (!Buffer.isBuffer(e.certificateDer) || e.certificateDer.length === 0) {
      throw new InvalidEvidenceData(`${field}.certificateDer`, 'empty');
    }
    w.open('rem:CertificateDetails');
    w.leaf('rem:X509Certificate', e.certificateDer.toString('base64'));
    w.close('rem:CertificateDetails');
  }
  w.close(element);
}

function renderAuthentication(w: XmlWriter, element: string, a: AuthenticationDetails, field: string): void {
  w.open(element);
  w.leaf('rem:AuthenticationTime', formatDateTime(a.time, `${field}.time`));
  w.leaf('rem:AuthenticationMethod', checkedValue(a.method, `${field}.method`));
  w.close(element);
}

// A bare addr-spec fits AttributedElectronicAddress; anything else (display names, lists)
// goes into the free-text ReplyTo the schema also allows.
const ADDR_SPEC = /^[^\s@<>()",;]+@[^\s@<>()",;]+$/;

function renderReplyTo(w: XmlWriter, replyTo: string): void {
  if (ADDR_SPEC.test(replyTo) && hasOnlyXmlChars(replyTo)) w.leaf('rem:ReplyToAddress', encodeAddress(replyTo), [['scheme', 'mailto']]);
  else w.leaf('rem:ReplyTo', toXmlChars(replyTo));
}

function renderRecipients(w: XmlWriter, data: EvidenceData): void {
  const n = data.recipients?.length ?? 0;
  if (n === 0) throw new InvalidEvidenceData('recipients', 'at least one recipient is required');
  w.open('rem:RecipientsDetails');
  data.recipients.forEach((r, i) => {
    // A refusal before any RCPT (e.g. at MAIL FROM) names no recipient: an empty EntityDetails.
    if (!r.address && data.event !== 'Rejection') throw new InvalidEvidenceData(`recipients[${i}].address`, 'missing');
    renderEntity(w, 'rem:EntityDetails', r, `recipients[${i}]`);
  });
  w.close('rem:RecipientsDetails');
  const delegates = data.recipientsDelegates ?? [];
  if (delegates.length > 0) {
    w.open('rem:RecipientsDelegatesDetails');
    delegates.forEach((d, i) => {
      if (d.recipients.length === 0) throw new InvalidEvidenceData(`recipientsDelegates[${i}].recipients`, 'empty');
      d.recipients.forEach((k) => checkIndex(k, n, `recipientsDelegates[${i}].recipients`));
      renderEntity(w, 'rem:DelegateDetails', d.delegate, `recipientsDelegates[${i}].delegate`);
      w.leaf('rem:DelegatingRecipients', d.recipients.join(' '));
    });
    w.close('rem:RecipientsDelegatesDetails');
  }
  if (data.refersToRecipient !== undefined) {
    checkIndex(data.refersToRecipient, n, 'refersToRecipient');
    w.leaf('rem:EvidenceRefersToRecipient', String(data.refersToRecipient));
  }
}

function checkIndex(k: number, n: number, field: string): void {
  if (!Number.isInteger(k) || k < 1 || k > n) throw new InvalidEvidenceData(field, `index ${k} outside 1..${n}`);
}

function renderMessage(w: XmlWriter, data: EvidenceData): void {
  const m = data.message!;
  w.open('rem:SenderMessageDetails', [['isNotification', 'false']]);
  w.leaf('rem:MessageSubject', toXmlChars(m.subject ?? ''));
  if (m.uaMessageId !== undefined) w.leaf('rem:UAMessageIdentifier', toXmlChars(m.uaMessageId));
  w.leaf('rem:MessageIdentifierByREMMD', checkedValue(m.providerMessageId, 'message.providerMessageId'));
  if (m.digestSha256 !== undefined) {
    if (!Buffer.isBuffer(m.digestSha256) || m.digestSha256.length !== 32) {
      throw new InvalidEvidenceData('message.digestSha256', 'must be a 32-byte SHA-256 digest');
    }
    w.leaf('ds:DigestMethod', '', [
      ['xmlns:ds', NS_DS],
      ['Algorithm', ALG_SHA256],
    ]);
    w.leaf('ds:DigestValue', m.digestSha256.toString('base64'), [['xmlns:ds', NS_DS]]);
  }
  w.close('rem:SenderMessageDetails');
}

function renderExtension(w: XmlWriter, data: EvidenceData): void {
  const x = data.extension;
  if (!x || (x.iletiTip === undefined && x.iletiId === undefined && x.operator === undefined)) return;
  if (x.iletiTip !== undefined && !ILETI_TIPS.has(x.iletiTip)) {
    throw new InvalidEvidenceData('extension.iletiTip', `unknown value ${String(x.iletiTip)}`);
  }
  w.open('rem:Extensions').open('rem:Extension', [['isCritical', 'false']]);
  w.open('kepd:KepExtension', [['xmlns:kepd', NS_KEPD_EXT]]);
  if (x.iletiTip !== undefined) w.leaf('kepd:iletiTip', x.iletiTip);
  if (x.iletiId !== undefined) w.leaf('kepd:iletiId', toXmlChars(x.iletiId));
  if (x.operator !== undefined) w.leaf('kepd:operator', toXmlChars(x.operator));
  w.close('kepd:KepExtension');
  w.close('rem:Extension').close('rem:Extensions');
}
