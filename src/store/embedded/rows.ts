/** Database rows and their mapping to the contract's records. Pure: no I/O. */
import type {
  AccountEvent,
  AccountEventKind,
  AccountRecord,
  AccountState,
  AccountType,
  EvidenceRecord,
  IletiTip,
  JournalEntry,
  JsonObject,
  Mailbox,
  MessageKind,
  MessageRecord,
  OperatorRecord,
  SubmissionRecord,
} from '../types';
import type { EvidenceType } from '../../evidence/model';
import type { EventName } from '../../evidence/reasons';

/** NULL columns become absent properties, as the contract's optional fields expect. */
function opt<T>(v: T | null): T | undefined {
  return v === null ? undefined : v;
}

export interface AccountRow {
  id: string;
  address: string;
  type: string;
  national_id: string | null;
  display_name: string | null;
  password_hash: string;
  receive_only: number;
  quota_bytes: number;
  state: string;
  created_at: number;
  used_bytes: number;
  closed_at: number | null;
  listed: number;
  mersis: string | null;
}

export function toAccount(r: AccountRow): AccountRecord {
  const a: AccountRecord = {
    id: r.id,
    address: r.address,
    type: r.type as AccountType,
    passwordHash: r.password_hash,
    receiveOnly: r.receive_only === 1,
    quotaBytes: r.quota_bytes,
    state: r.state as AccountState,
    createdAt: new Date(r.created_at),
    listed: r.listed === 1,
  };
  if (r.national_id !== null) a.nationalId = r.national_id;
  if (r.display_name !== null) a.displayName = r.display_name;
  if (r.closed_at !== null) a.closedAt = new Date(r.closed_at);
  if (r.mersis !== null) a.mersis = r.mersis;
  return a;
}

export interface OperatorRow {
  id: string;
  account_id: string;
  login: string;
  password_hash: string;
  certificate: Buffer;
  national_id: string | null;
  name: string | null;
  added_at: number;
  removed_at: number | null;
}

export function toOperator(r: OperatorRow): OperatorRecord {
  const o: OperatorRecord = {
    id: r.id,
    accountId: r.account_id,
    login: r.login,
    passwordHash: r.password_hash,
    certificateDer: r.certificate,
    addedAt: new Date(r.added_at),
  };
  if (r.national_id !== null) o.nationalId = r.national_id;
  if (r.name !== null) o.name = r.name;
  if (r.removed_at !== null) o.removedAt = new Date(r.removed_at);
  return o;
}

/** account_events without the document bytes (their hash is computed in the query). */
export interface AccountEventRow {
  seq: number;
  account_id: string;
  kind: string;
  actor: string;
  at: number;
  details: string | null;
  document_sha256: string | null;
}

export function toAccountEvent(r: AccountEventRow): AccountEvent {
  const e: AccountEvent = {
    seq: r.seq,
    accountId: r.account_id,
    kind: r.kind as AccountEventKind,
    actor: r.actor,
    at: new Date(r.at),
  };
  if (r.details !== null) e.details = JSON.parse(r.details) as JsonObject;
  if (r.document_sha256 !== null) e.documentSha256 = r.document_sha256;
  return e;
}

export interface MailboxRow {
  id: string;
  account_id: string;
  path: string;
  special_use: string | null;
  subscribed: number;
  uid_validity: number;
  uid_next: number;
  modify_index: number;
  created_at: number;
}

export function toMailbox(r: MailboxRow): Mailbox {
  const m: Mailbox = {
    id: r.id,
    accountId: r.account_id,
    path: r.path,
    subscribed: r.subscribed === 1,
    uidValidity: r.uid_validity,
    uidNext: r.uid_next,
    modifyIndex: r.modify_index,
  };
  if (r.special_use !== null) m.specialUse = r.special_use;
  return m;
}

export const MESSAGE_COLUMNS =
  'id, mailbox_id, account_id, uid, modseq, flags, internal_date, size, blob_hash, kind, provider_message_id, recipient_index, evidence_id, meta';

export interface MessageRow {
  id: string;
  mailbox_id: string;
  account_id: string;
  uid: number;
  modseq: number;
  flags: string;
  internal_date: number;
  size: number;
  blob_hash: string;
  kind: string;
  provider_message_id: string | null;
  recipient_index: number | null;
  evidence_id: string | null;
  meta: string | null;
}

export function toMessage(r: MessageRow): MessageRecord {
  const m: MessageRecord = {
    id: r.id,
    mailboxId: r.mailbox_id,
    accountId: r.account_id,
    uid: r.uid,
    modseq: r.modseq,
    flags: JSON.parse(r.flags) as string[],
    internalDate: new Date(r.internal_date),
    size: r.size,
    blobHash: r.blob_hash,
    kind: r.kind as MessageKind,
  };
  const providerMessageId = opt(r.provider_message_id);
  const recipientIndex = opt(r.recipient_index);
  const evidenceId = opt(r.evidence_id);
  if (providerMessageId !== undefined) m.providerMessageId = providerMessageId;
  if (recipientIndex !== undefined) m.recipientIndex = recipientIndex;
  if (evidenceId !== undefined) m.evidenceId = evidenceId;
  if (r.meta !== null) m.meta = JSON.parse(r.meta) as JsonObject;
  return m;
}

/** A message record as JSON (kept with an append idempotency key) and back. */
export function messageToJson(m: MessageRecord): string {
  return JSON.stringify({ ...m, internalDate: m.internalDate.toISOString() });
}

export function messageFromJson(s: string): MessageRecord {
  const o = JSON.parse(s) as Omit<MessageRecord, 'internalDate'> & { internalDate: string };
  return { ...o, internalDate: new Date(o.internalDate) };
}

export interface JournalRow {
  seq: number;
  mailbox_id: string;
  modseq: number;
  command: string;
  uid: number;
  message_id: string | null;
  flags: string | null;
}

export function toJournalEntry(r: JournalRow): JournalEntry {
  const e: JournalEntry = {
    id: String(r.seq),
    mailboxId: r.mailbox_id,
    modseq: r.modseq,
    command: r.command as JournalEntry['command'],
    uid: r.uid,
  };
  if (r.message_id !== null) e.messageId = r.message_id;
  if (r.flags !== null) e.flags = JSON.parse(r.flags) as string[];
  return e;
}

export interface SubmissionRow {
  id: string;
  account_id: string;
  sender: string;
  operator: string | null;
  recipients: string;
  blob_hash: string;
  blob_size: number;
  subject: string;
  ua_message_id: string | null;
  ileti_tip: string;
  ileti_id: string | null;
  submitted_at: number;
  signer_cert: Buffer | null;
}

export function toSubmission(r: SubmissionRow): SubmissionRecord {
  const s: SubmissionRecord = {
    id: r.id,
    accountId: r.account_id,
    sender: r.sender,
    recipients: JSON.parse(r.recipients) as string[],
    blob: { hash: r.blob_hash, size: r.blob_size },
    subject: r.subject,
    iletiTip: r.ileti_tip as IletiTip,
    submittedAt: new Date(r.submitted_at),
  };
  if (r.operator !== null) s.operator = r.operator;
  if (r.ua_message_id !== null) s.uaMessageId = r.ua_message_id;
  if (r.ileti_id !== null) s.iletiId = r.ileti_id;
  if (r.signer_cert !== null) s.signerCertificateDer = r.signer_cert;
  return s;
}

/** The index columns of an evidence row (the XML and data are read only when asked for). */
export const EVIDENCE_COLUMNS =
  'seq, id, unique_key, type, event, message_id, recipient_index, reason_code, account_id, event_time, created_at, xml_hash, xml_size';

export interface EvidenceRow {
  seq: number;
  id: string;
  unique_key: string | null;
  type: string;
  event: string;
  message_id: string | null;
  recipient_index: number | null;
  reason_code: number | null;
  account_id: string | null;
  event_time: number;
  created_at: number;
  xml_hash: string;
  xml_size: number;
}

export function toEvidence(r: EvidenceRow): EvidenceRecord {
  const e: EvidenceRecord = {
    id: r.id,
    type: r.type as EvidenceType,
    event: r.event as EventName,
    eventTime: new Date(r.event_time),
    createdAt: new Date(r.created_at),
    xmlHash: r.xml_hash,
  };
  if (r.message_id !== null) e.messageId = r.message_id;
  if (r.recipient_index !== null) e.recipientIndex = r.recipient_index;
  if (r.reason_code !== null) e.reasonCode = r.reason_code;
  if (r.account_id !== null) e.accountId = r.account_id;
  return e;
}
