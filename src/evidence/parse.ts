/**
 * TS 102 640-2 v2 evidence XML → EvidenceData. Lenient in what it accepts (kep-rem.md §9.10):
 * event/reason URIs with or without `//`, the older TürkKEP type names, `mailto:` prefixes,
 * times without a zone (read as UTC). Missing mandatory content is an EvidenceParseError.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { decodeAddress } from './address';
import { childNS, childrenNS, parseXmlSafely, textOf, type ParseLimits } from './dom';
import { EvidenceParseError } from './errors';
import {
  isEvidenceType,
  type AuthenticationDetails,
  type EntityDetails,
  type EvidenceData,
  type EvidenceReason,
  type EvidenceType,
  type KepExtension,
  type MessageDetails,
} from './model';
import { ALG_SHA256, NS_DS, NS_KEPD_EXT, NS_REM } from './namespaces';
import { ReasonCode, parseEventUri, parseReasonUri } from './reasons';

/** Older names for v2 root elements seen in provider APIs (kep-rem.md §4.1). */
const TYPE_ALIASES: Readonly<Record<string, EvidenceType>> = {
  REMMDAcceptanceRejection: 'RelayREMMDAcceptanceRejection',
  RelayToREMMDFailure: 'RelayREMMDFailure',
};

export function parseEvidenceXml(xml: Buffer | string, limits?: ParseLimits): EvidenceData {
  return readEvidence(parseXmlSafely(xml, limits));
}

/** The evidence type named by a root element's local name, accepting the older spellings. */
export function evidenceTypeOf(localName: string): EvidenceType | undefined {
  if (isEvidenceType(localName)) return localName;
  return TYPE_ALIASES[localName];
}

export function readEvidence(doc: Document): EvidenceData {
  const root = doc.documentElement;
  if (!root) throw new EvidenceParseError('no root element');
  if (root.namespaceURI !== NS_REM) {
    throw new EvidenceParseError(`root element is not in the TS 102 640-2 v2 namespace (${root.namespaceURI ?? 'none'})`);
  }
  const type = evidenceTypeOf(root.localName ?? '');
  if (!type) throw new EvidenceParseError(`root element ${root.localName} is not a TS 102 640-2 evidence`);
  const id = root.getAttribute('Id');
  const eventCode = optText(root, 'EventCode');
  if (eventCode === undefined) throw new EvidenceParseError('EventCode is missing');
  const event = parseEventUri(eventCode);
  if (!event) throw new EvidenceParseError(`EventCode ${eventCode} is not a TS 102 640 event`);

  const data: EvidenceData = {
    id: id ?? '',
    identifier: reqText(root, 'EvidenceIdentifier'),
    type,
    event,
    issuer: readEntity(req(root, 'EvidenceIssuerDetails')),
    eventTime: readTime(reqText(root, 'EventTime'), 'EventTime'),
    sender: readEntity(req(root, 'SenderDetails')),
    recipients: childrenNS(req(root, 'RecipientsDetails'), NS_REM, 'EntityDetails').map(readEntity),
  };
  if (data.recipients.length === 0) throw new EvidenceParseError('RecipientsDetails lists no recipient');

  const reasons = readReasons(root);
  if (reasons.length > 0) data.reasons = reasons;
  const policy = childNS(root, NS_REM, 'EvidenceIssuerPolicyID');
  if (policy) data.policyIds = childrenNS(policy, NS_REM, 'PolicyID').map((p) => textOf(p).trim());
  const sa = childNS(root, NS_REM, 'SenderAuthenticationDetails');
  const senderAuth = sa && readAuthentication(sa);
  if (senderAuth) data.senderAuthentication = senderAuth;
  const ra = childNS(root, NS_REM, 'RecipientAuthenticationDetails');
  const recipientAuth = ra && readAuthentication(ra);
  if (recipientAuth) data.recipientAuthentication = recipientAuth;
  const submission = optText(root, 'SubmissionTime');
  if (submission !== undefined) data.submissionTime = readTime(submission, 'SubmissionTime');
  const replyToAddress = optText(root, 'ReplyToAddress');
  const replyTo = replyToAddress !== undefined ? decodeAddress(stripMailto(replyToAddress)) : optText(root, 'ReplyTo');
  if (replyTo !== undefined) data.replyTo = replyTo;
  const delegates = readDelegates(root);
  if (delegates.length > 0) data.recipientsDelegates = delegates;
  const refers = optText(root, 'EvidenceRefersToRecipient');
  if (refers !== undefined) data.refersToRecipient = readInteger(refers, 'EvidenceRefersToRecipient');
  const smd = childNS(root, NS_REM, 'SenderMessageDetails');
  if (smd) data.message = readMessage(smd);
  const ext = readExtension(root);
  if (ext) data.extension = ext;
  return data;
}

function req(el: Element, local: string): Element {
  const c = childNS(el, NS_REM, local);
  if (!c) throw new EvidenceParseError(`${local} is missing in ${el.localName}`);
  return c;
}

function reqText(el: Element, local: string): string {
  return textOf(req(el, local)).trim();
}

function optText(el: Element, local: string): string | undefined {
  const c = childNS(el, NS_REM, local);
  return c ? textOf(c).trim() : undefined;
}

const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function readTime(s: string, what: string): Date {
  if (!DATE_TIME.test(s)) throw new EvidenceParseError(`${what} is not an xs:dateTime: ${s}`);
  // No zone designator: read as UTC rather than the local zone of this machine.
  const d = new Date(/(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : s + 'Z');
  if (Number.isNaN(d.getTime())) throw new EvidenceParseError(`${what} is not a valid time: ${s}`);
  return d;
}

function readInteger(s: string, what: string): number {
  if (!/^[+]?\d{1,9}$/.test(s)) throw new EvidenceParseError(`${what} is not a small integer: ${s}`);
  return Number(s);
}

function stripMailto(s: string): string {
  return s.replace(/^mailto:/i, '');
}

function readReasons(root: Element): EvidenceReason[] {
  const list = childNS(root, NS_REM, 'EventReasons');
  if (!list) return [];
  return childrenNS(list, NS_REM, 'EventReason').map((r) => {
    const uri = reqText(r, 'Code');
    const details = optText(r, 'Details');
    const code = parseReasonUri(uri);
    if (code !== undefined) return details === undefined ? { code } : { code, details };
    // Private reason codes are kept readable as "Other" with the URI in the details.
    return { code: ReasonCode.Other, details: details === undefined ? uri : `${uri}: ${details}` };
  });
}

function readEntity(el: Element): EntityDetails {
  const e: EntityDetails = {};
  const npa = childNS(el, NS_REM, 'NamesPostalAddresses');
  const first = npa && childNS(npa, NS_REM, 'NamePostalAddress');
  const entityName = first && childNS(first, NS_REM, 'EntityName');
  const name = entityName && childNS(entityName, NS_REM, 'Name');
  if (name) e.name = textOf(name).trim();
  const addr = childNS(el, NS_REM, 'AttributedElectronicAddress');
  if (addr) e.address = decodeAddress(stripMailto(textOf(addr).trim()));
  const cd = childNS(el, NS_REM, 'CertificateDetails');
  const cert = cd && childNS(cd, NS_REM, 'X509Certificate');
  if (cert) e.certificateDer = decodeBase64(textOf(cert), 'X509Certificate');
  return e;
}

function readAuthentication(el: Element): AuthenticationDetails | undefined {
  const time = optText(el, 'AuthenticationTime');
  const method = optText(el, 'AuthenticationMethod');
  // A SAML assertion instead of time+method is valid but has no place in our model.
  if (time === undefined || method === undefined) return undefined;
  return { time: readTime(time, 'AuthenticationTime'), method };
}

function readDelegates(root: Element): NonNullable<EvidenceData['recipientsDelegates']> {
  const dd = childNS(root, NS_REM, 'RecipientsDelegatesDetails');
  if (!dd) return [];
  const delegates = childrenNS(dd, NS_REM, 'DelegateDetails');
  const lists = childrenNS(dd, NS_REM, 'DelegatingRecipients');
  if (delegates.length !== lists.length) throw new EvidenceParseError('RecipientsDelegatesDetails is unbalanced');
  return delegates.map((d, i) => ({
    delegate: readEntity(d),
    recipients: textOf(lists[i] as Element)
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map((s) => readInteger(s, 'DelegatingRecipients')),
  }));
}

function readMessage(el: Element): MessageDetails {
  const m: MessageDetails = {
    subject: textOf(req(el, 'MessageSubject')),
    providerMessageId: reqText(el, 'MessageIdentifierByREMMD'),
  };
  const ua = optText(el, 'UAMessageIdentifier');
  if (ua !== undefined) m.uaMessageId = ua;
  const dm = childNS(el, NS_DS, 'DigestMethod');
  const dv = childNS(el, NS_DS, 'DigestValue');
  if (dm && dv && dm.getAttribute('Algorithm') === ALG_SHA256) {
    const digest = decodeBase64(textOf(dv), 'DigestValue');
    if (digest.length !== 32) throw new EvidenceParseError('SenderMessageDetails DigestValue is not a SHA-256 digest');
    m.digestSha256 = digest;
  }
  return m;
}

const ILETI_TIPS: Readonly<Record<string, KepExtension['iletiTip']>> = {
  standart: 'standart',
  eyazisma: 'eYazisma',
  etebligat: 'eTebligat',
};

function readExtension(root: Element): KepExtension | undefined {
  const list = childNS(root, NS_REM, 'Extensions');
  if (!list) return undefined;
  for (const ext of childrenNS(list, NS_REM, 'Extension')) {
    const holder = childNS(ext, NS_KEPD_EXT, 'KepExtension') ?? ext;
    const x: KepExtension = {};
    const tip = childNS(holder, NS_KEPD_EXT, 'iletiTip');
    if (tip) {
      const v = ILETI_TIPS[textOf(tip).trim().toLowerCase()];
      if (!v) throw new EvidenceParseError(`unknown iletiTip ${textOf(tip).trim()}`);
      x.iletiTip = v;
    }
    const id = childNS(holder, NS_KEPD_EXT, 'iletiId');
    if (id) x.iletiId = textOf(id);
    const op = childNS(holder, NS_KEPD_EXT, 'operator');
    if (op) x.operator = textOf(op);
    if (Object.keys(x).length > 0) return x;
  }
  return undefined;
}

function decodeBase64(s: string, what: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) {
    throw new EvidenceParseError(`${what} is not base64`);
  }
  return Buffer.from(clean, 'base64');
}
