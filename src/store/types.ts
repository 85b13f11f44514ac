/**
 * The MailStore contract. Protocol code (smtp, imap, engine) talks only to this interface;
 * `embedded` (SQLite + files) implements it today, a MongoDB implementation can follow.
 * Nothing here is SQL- or MongoDB-specific: ids are strings, times are Dates, atomic
 * multi-record changes go through `commit()` with idempotency keys.
 */
import type { Readable, Writable } from 'node:stream';
import type { EventEmitter } from 'node:events';
import type { EvidenceType } from '../evidence/model';
import type { EventName } from '../evidence/reasons';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

// ---------------------------------------------------------------- blobs

/** Exact message bytes, addressed by their SHA-256 (hex), or for a unique blob by a key that ends in it. */
export interface BlobRef {
  hash: string;
  size: number;
}

export interface BlobPutOptions {
  /**
   * The bytes are never stored twice (a REM dispatch or receipt, a signed original): the store
   * may key them by the time of storing as well as by content (see uniqueBlobKey), so equal
   * bytes put again are another blob.
   */
  unique?: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start?: number;
  /** Last byte, exclusive. */
  end?: number;
}

/**
 * Bytes received in full, not yet part of the store (can still be discarded). A backend may
 * keep small blobs in memory until a commit references them (see `commit()`).
 */
export interface PendingBlob extends BlobRef {
  createReadStream(range?: ByteRange): Readable;
  read(range?: ByteRange): Promise<Buffer>;
  /** All the bytes, while they are held in memory (a small blob); undefined otherwise. */
  readonly bytes?: Buffer;
  /**
   * Makes the bytes a content-addressed blob that `MailStore.commit()` may reference
   * (idempotent if it already exists); a failure discards them. Large blobs are durable when
   * this resolves; small ones may only be staged in this process and become durable with the
   * first commit that references them (a staged blob nothing references is dropped after a while).
   */
  commit(): Promise<BlobRef>;
  discard(): Promise<void>;
}

/** A Writable that hashes and stores what is piped into it; `pending` resolves when all is received (and, for a file, fsynced). */
export interface BlobWriter extends Writable {
  readonly pending: Promise<PendingBlob>;
}

export interface BlobWriterOptions extends BlobPutOptions {
  /**
   * The bytes will be read again while the blob is pending (the checks of a submission): a
   * store may keep them in memory until then. Off, nothing beyond what the store itself needs
   * is held, so a large blob's buffers can go as soon as they are written.
   */
  readWhilePending?: boolean;
}

export interface BlobStore {
  createWriter(options?: BlobWriterOptions): BlobWriter;
  /** Put of a buffer, with the durability of `PendingBlob.commit()`. */
  put(data: Buffer, options?: BlobPutOptions): Promise<BlobRef>;
  read(hash: string, range?: ByteRange): Promise<Buffer>;
  createReadStream(hash: string, range?: ByteRange): Readable;
  exists(hash: string): Promise<boolean>;
  /**
   * The blob whose bytes are `parts` in order: literal bytes and the whole of stored blobs. The
   * same blob (hash, size, durability) as put() of the concatenation with the same options, but a store may keep a
   * large referenced blob by reference instead of copying it (a REM dispatch embeds the
   * original unchanged).
   */
  compose(parts: ReadonlyArray<Buffer | BlobRef>, options?: BlobPutOptions): Promise<BlobRef>;
}

// ---------------------------------------------------------------- accounts

export type AccountType = 'person' | 'entity';
export type AccountState = 'pending' | 'active' | 'closed';

export interface AccountRecord {
  id: string;
  /** Lower-case KEP address. */
  address: string;
  type: AccountType;
  /** TC kimlik no (person) or MERSIS/VKN (entity) that user certificates must carry. */
  nationalId?: string;
  displayName?: string;
  /** Opaque KDF string made by the accounts module. */
  passwordHash: string;
  receiveOnly: boolean;
  quotaBytes: number;
  state: AccountState;
  createdAt: Date;
  /** When the account was last closed (state 'closed'): its read-only period counts from here. */
  closedAt?: Date;
  /** Shown in the KEP directory (rehber) while active: always for legal entities, opt-in for persons. */
  listed: boolean;
  /** MERSIS number (16 digits) of a legal entity, for directory lookups. */
  mersis?: string;
}

export interface NewAccount {
  address: string;
  type: AccountType;
  nationalId?: string;
  displayName?: string;
  passwordHash: string;
  receiveOnly: boolean;
  quotaBytes: number;
  state: AccountState;
  /** Default false. */
  listed?: boolean;
  mersis?: string;
}

/** The folders every account has (interface.md "Mailboxes"). */
export const DEFAULT_MAILBOXES: ReadonlyArray<{ path: string; specialUse?: string }> = [
  { path: 'INBOX' },
  { path: 'Sent', specialUse: '\\Sent' },
  { path: 'Drafts', specialUse: '\\Drafts' },
  { path: 'Trash', specialUse: '\\Trash' },
  { path: 'Delil' },
];

/** Fields of an account that may change after creation (the address never does). */
export interface AccountChanges {
  state?: AccountState;
  quotaBytes?: number;
  passwordHash?: string;
  displayName?: string;
  nationalId?: string;
  receiveOnly?: boolean;
  /** null clears it (reopening). */
  closedAt?: Date | null;
  listed?: boolean;
  mersis?: string | null;
}

/** What happened to an account (its history, kep-rem.md §8.2 "every transition is logged"). */
export type AccountEventKind =
  | 'created'
  | 'activated'
  | 'closed'
  | 'reopened'
  | 'quota-changed'
  | 'operator-added'
  | 'operator-removed'
  | 'directory-listed'
  | 'directory-unlisted';

/** One entry of an account's append-only history. */
export interface AccountEvent {
  /** Increasing across all accounts: watchers read "everything after seq N". */
  seq: number;
  accountId: string;
  kind: AccountEventKind;
  /** Who made the change (e.g. `cli:root`, an operator login, `system`). */
  actor: string;
  at: Date;
  details?: JsonObject;
  /** SHA-256 (hex) of a document kept with the event (e.g. the signed activation agreement). */
  documentSha256?: string;
}

export interface NewAccountEvent {
  kind: AccountEventKind;
  actor: string;
  /** Defaults to the store's clock. */
  at?: Date;
  details?: JsonObject;
  /** Kept with the event, byte for byte (e.g. the signed activation agreement). */
  document?: Buffer;
}

/** Exactly one criterion; matches are case-insensitive (names also ignore Turkish diacritics). */
export type DirectoryQuery = { address: string } | { mersis: string } | { name: string };

export interface AccountRepo {
  /**
   * Creates the account and its default mailboxes atomically, with its 'created' history entry;
   * ConflictError if the address was ever issued or is an operator login.
   */
  create(input: NewAccount, event?: { actor: string; at?: Date }): Promise<AccountRecord>;
  /**
   * Applies `changes` (lifecycle state, quota, password, ...) and, when given, appends `event`
   * to the history in the same transaction; NotFoundError for an unknown id.
   */
  update(id: string, changes: AccountChanges, event?: NewAccountEvent): Promise<AccountRecord>;
  getById(id: string): Promise<AccountRecord | undefined>;
  getByAddress(address: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  /** Bytes of all messages stored in the account's mailboxes. */
  usage(accountId: string): Promise<number>;
  /** The account's history, oldest first. */
  history(accountId: string): Promise<AccountEvent[]>;
  /** The document kept with a history entry, if any. */
  eventDocument(seq: number): Promise<Buffer | undefined>;
  /** History entries of all accounts after `seq`, oldest first (for watchers). */
  eventsSince(seq: number, limit?: number): Promise<AccountEvent[]>;
  /** The highest history seq (0 when there is none). */
  lastEventSeq(): Promise<number>;
  /** Accounts shown in the directory — listed and active — that match `query`, by address. */
  listedAccounts(query: DirectoryQuery, limit: number): Promise<AccountRecord[]>;
}

// ---------------------------------------------------------------- operators

/** An authorised operator (işlem yetkilisi) of a legal-entity account. */
export interface OperatorRecord {
  id: string;
  /** The entity account the operator acts for. */
  accountId: string;
  /** Lower-case login name (SMTP/IMAP/API); never reused, even after removal. */
  login: string;
  passwordHash: string;
  /** DER of the operator's registered signing certificate. */
  certificateDer: Buffer;
  /** The operator's own national id (TC kimlik no), when known. */
  nationalId?: string;
  name?: string;
  addedAt: Date;
  /** Set when the operator's authorisation ended. */
  removedAt?: Date;
}

/** An operator as added: the record without what the store assigns (id, times). */
export type NewOperator = Omit<OperatorRecord, 'id' | 'addedAt' | 'removedAt'>;

export interface OperatorRepo {
  /**
   * Adds an operator and its 'operator-added' history entry atomically. ConflictError when the
   * login was ever used or is an issued address; NotFoundError for an unknown account.
   */
  add(input: NewOperator, event: { actor: string; at?: Date }): Promise<OperatorRecord>;
  /** Ends an active operator's authorisation, with its 'operator-removed' entry; NotFoundError when none. */
  remove(accountId: string, login: string, event: { actor: string; at?: Date }): Promise<OperatorRecord>;
  /** The operator with this login, active or removed. */
  getByLogin(login: string): Promise<OperatorRecord | undefined>;
  /** The account's operators in the order they were added. */
  list(accountId: string, options?: { includeRemoved?: boolean }): Promise<OperatorRecord[]>;
}

// ---------------------------------------------------------------- submissions

export type IletiTip = 'standart' | 'eYazisma' | 'eTebligat';

/** An accepted original message: the subject of every evidence about it. */
export interface SubmissionRecord {
  /** Provider message id, bare (e.g. `K01JD...`); Message-ID form is `<id@domain>`. */
  id: string;
  accountId: string;
  sender: string;
  /** Operator login when an authorised operator sent for an entity account. */
  operator?: string;
  /** Recipients in order; evidence recipient indexes are 1-based into this list. */
  recipients: string[];
  blob: BlobRef;
  subject: string;
  uaMessageId?: string;
  iletiTip: IletiTip;
  iletiId?: string;
  submittedAt: Date;
  /** DER of the certificate that signed the original (for the evidence SenderDetails). */
  signerCertificateDer?: Buffer;
}

export interface SubmissionRepo {
  get(id: string): Promise<SubmissionRecord | undefined>;
  listByAccount(accountId: string, limit?: number): Promise<SubmissionRecord[]>;
}

// ---------------------------------------------------------------- evidence archive

/** Index row of an archived evidence (append-only; never updated or deleted). */
export interface EvidenceRecord {
  /** EvidenceIdentifier (also the archive key). */
  id: string;
  type: EvidenceType;
  event: EventName;
  /** Provider message id (bare) the evidence is about; absent for envelope-stage rejections. */
  messageId?: string;
  /** 1-based recipient index for per-recipient evidence. */
  recipientIndex?: number;
  reasonCode?: number;
  /** Sender account the evidence is delivered to (its Delil). */
  accountId?: string;
  eventTime: Date;
  createdAt: Date;
  /** SHA-256 (hex) of the signed XML bytes. */
  xmlHash: string;
}

export interface NewEvidence {
  record: Omit<EvidenceRecord, 'createdAt' | 'xmlHash'>;
  /** The signed, time-stamped evidence XML, exactly as issued. */
  xml: Buffer;
  /**
   * Idempotency key: when an evidence with this key exists the op is a no-op and the result
   * names the existing one. E.g. `delivery:<msgId>:<rcptIdx>`.
   */
  uniqueKey?: string;
  /**
   * The evidence record as JSON (src/evidence/json.ts), kept beside the XML so renderings
   * (receipts, listings) need not re-parse the signed XML. The XML stays authoritative.
   */
  data?: JsonObject;
}

export interface EvidenceArchive {
  get(id: string): Promise<{ record: EvidenceRecord; xml: Buffer; data?: JsonObject } | undefined>;
  getByKey(uniqueKey: string): Promise<EvidenceRecord | undefined>;
  /** Newest first. */
  list(filter?: { messageId?: string; accountId?: string; limit?: number }): Promise<EvidenceRecord[]>;
}

// ---------------------------------------------------------------- messages & mailboxes

/** Why a message is in a mailbox; decides whether reading it yields evidence. */
export type MessageKind = 'dispatch' | 'receipt' | 'sent' | 'appended';

export interface NewMessage {
  accountId: string;
  /** Mailbox path, e.g. `INBOX`, `Sent`, `Delil`. */
  mailboxPath: string;
  blob: BlobRef;
  kind: MessageKind;
  flags?: string[];
  internalDate?: Date;
  /** For `dispatch`: the provider message id and this recipient's 1-based index (retrieval evidence). */
  providerMessageId?: string;
  recipientIndex?: number;
  /** For `receipt`: the evidence it renders. */
  evidenceId?: string;
  /** Idempotency key: appending again with the same key is a no-op returning the first message. */
  dedupeKey?: string;
}

export interface Mailbox {
  id: string;
  accountId: string;
  path: string;
  specialUse?: string;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  /** Highest modseq in the mailbox. */
  modifyIndex: number;
}

export interface MessageRecord {
  id: string;
  mailboxId: string;
  accountId: string;
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobHash: string;
  kind: MessageKind;
  providerMessageId?: string;
  recipientIndex?: number;
  evidenceId?: string;
  /** Cached parse results for IMAP (bodystructure, envelope, ...), opaque to the store. */
  meta?: JsonObject;
}

/** A change journal entry per mailbox, so every session (and node) catches up by modseq. */
export interface JournalEntry {
  id: string;
  mailboxId: string;
  modseq: number;
  command: 'EXISTS' | 'EXPUNGE' | 'FETCH';
  uid: number;
  messageId?: string;
  flags?: string[];
}

export interface MailboxRepo {
  list(accountId: string): Promise<Mailbox[]>;
  get(accountId: string, path: string): Promise<Mailbox | undefined>;
  getById(id: string): Promise<Mailbox | undefined>;
  create(accountId: string, path: string, specialUse?: string): Promise<Mailbox>;
  rename(accountId: string, path: string, newPath: string): Promise<void>;
  delete(accountId: string, path: string): Promise<void>;
  setSubscribed(accountId: string, path: string, subscribed: boolean): Promise<void>;
}

export interface MessageRepo {
  /** Messages of a mailbox ordered by uid; optional uid filter. */
  list(mailboxId: string, uids?: number[]): Promise<MessageRecord[]>;
  get(id: string): Promise<MessageRecord | undefined>;
  setMeta(id: string, meta: JsonObject): Promise<void>;
  /** Appends outside a commit (IMAP APPEND); returns the stored record. */
  append(message: NewMessage): Promise<MessageRecord>;
  /**
   * `updated`: the messages whose flags changed (with their new modseq); `modified`: uids left
   * unchanged because their modseq is above `unchangedSince` (CONDSTORE).
   */
  updateFlags(
    mailboxId: string,
    uids: number[],
    action: 'set' | 'add' | 'remove',
    flags: string[],
    unchangedSince?: number,
  ): Promise<{ updated: MessageRecord[]; modified: number[] }>;
  /** Removes \Deleted messages (or only `uids` among them); returns the expunged uids. Evidence is untouched. */
  expunge(mailboxId: string, uids?: number[]): Promise<number[]>;
  copy(mailboxId: string, uids: number[], targetMailboxId: string): Promise<{ sourceUids: number[]; destinationUids: number[] }>;
  move(mailboxId: string, uids: number[], targetMailboxId: string): Promise<{ sourceUids: number[]; destinationUids: number[] }>;
  journal(mailboxId: string, sinceModseq: number): Promise<JournalEntry[]>;
}

// ---------------------------------------------------------------- login audit trail

/**
 * `success`: credentials accepted; `failure`: credentials wrong (or the account may not log in);
 * `refused`: not checked because the name or client address is locked out; `lockout`: a lockout
 * starts (detail says which and until when).
 */
export type LoginOutcome = 'success' | 'failure' | 'refused' | 'lockout';

export interface NewLoginAuditEntry {
  at: Date;
  /** smtp, imap, api. */
  protocol: string;
  /** The client's address as the listener saw it. */
  client: string;
  /** The login name as given (normalised, length-bounded); never a password. */
  username: string;
  /** The account, when the name belongs to one. */
  accountId?: string;
  outcome: LoginOutcome;
  detail?: string;
}

/** One entry of the append-only login audit trail. */
export interface LoginAuditEntry extends NewLoginAuditEntry {
  /** Increasing: entries are listed in the order they happened. */
  seq: number;
}

export interface LoginAuditLog {
  append(entry: NewLoginAuditEntry): Promise<void>;
  /** Newest first. */
  list(filter?: { username?: string; client?: string; since?: Date; limit?: number }): Promise<LoginAuditEntry[]>;
}

// ---------------------------------------------------------------- durable jobs

export interface NewJob {
  kind: string;
  payload: JsonObject;
  /** Idempotency key: a job with this key (pending or done) makes the enqueue a no-op. */
  uniqueKey?: string;
  runAt?: Date;
}

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: JsonObject;
  /** Attempts made before this one. */
  attempts: number;
  /** Proof of the lease; completing with a lost lease fails the commit. */
  leaseToken: string;
}

export interface JobQueue {
  /** Claims due jobs with a lease; expired leases are claimable again (crash recovery). */
  claim(options: { limit: number; leaseMs: number; kinds?: string[] }): Promise<ClaimedJob[]>;
  /** Releases the lease and schedules another attempt. */
  retry(job: ClaimedJob, error: string, runAt: Date): Promise<void>;
  /**
   * Makes the running jobs of a thread of this process that has exited (worker thread id)
   * claimable at once; returns how many. Only for a thread that is certainly gone.
   */
  releaseThreadLeases(thread: number): Promise<number>;
  /** Jobs not yet done (for drain, status and tests). */
  pendingCount(kinds?: string[]): Promise<number>;
  /** Next due time of a pending job, if any (lets workers sleep precisely). */
  nextRunAt(): Promise<Date | undefined>;
}

// ---------------------------------------------------------------- atomic unit of work

export type StoreOp =
  | { op: 'putSubmission'; submission: SubmissionRecord }
  | { op: 'appendMessage'; message: NewMessage }
  | { op: 'putEvidence'; evidence: NewEvidence }
  | { op: 'enqueueJob'; job: NewJob }
  | { op: 'completeJob'; job: ClaimedJob };

export type StoreOpResult =
  | { op: 'putSubmission' }
  | { op: 'appendMessage'; created: boolean; message: MessageRecord }
  | { op: 'putEvidence'; created: boolean; record: EvidenceRecord }
  | { op: 'enqueueJob'; created: boolean; jobId: string }
  | { op: 'completeJob' };

/** Emitted on `MailStore.events` after a commit/append/flag change/expunge. */
export interface MailboxChangeEvent {
  accountId: string;
  mailboxId: string;
}

export interface IntegrityReport {
  ok: boolean;
  problems: string[];
}

export interface MailStore {
  readonly blobs: BlobStore;
  readonly accounts: AccountRepo;
  readonly operators: OperatorRepo;
  readonly mailboxes: MailboxRepo;
  readonly messages: MessageRepo;
  readonly submissions: SubmissionRepo;
  readonly evidence: EvidenceArchive;
  readonly jobs: JobQueue;
  /** Every login attempt over SMTP and IMAP (append-only). */
  readonly loginAudit: LoginAuditLog;
  /** 'mailbox-change' (MailboxChangeEvent), 'jobs' (new work enqueued). */
  readonly events: EventEmitter;
  /**
   * Applies all ops atomically and durably (fsync) or none; resolves only once durable.
   * Idempotency keys make replays after a crash safe. Referenced blobs are durable no later
   * than the commit: a blob staged by `PendingBlob.commit()`/`put()` is stored with it.
   */
  commit(ops: StoreOp[]): Promise<StoreOpResult[]>;
  integrityCheck(): Promise<IntegrityReport>;
  /**
   * Removes blob files no message or submission references any more and that nobody has
   * stored for at least `olderThanMs` (default one hour, which protects blobs in flight).
   */
  sweepBlobs(options?: { olderThanMs?: number }): Promise<{ removed: number; bytes: number }>;
  close(): Promise<void>;
}
