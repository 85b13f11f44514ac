/** Helpers for store tests: temp data dirs, accounts, blobs and evidence inputs. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, type EmbeddedStoreOptions } from '../../src/store';
import type { AccountRecord, BlobRef, MailStore, NewEvidence, NewMessage } from '../../src/store';

export interface TempStore {
  dir: string;
  store: MailStore;
  /** Opens another instance (another connection) on the same data dir. */
  reopen(options?: Partial<EmbeddedStoreOptions>): Promise<MailStore>;
  cleanup(): Promise<void>;
}

export async function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kepd-store-test-'));
}

export async function openTempStore(options: Partial<EmbeddedStoreOptions> = {}): Promise<TempStore> {
  const dir = await tempDataDir();
  const opened: MailStore[] = [];
  const open = async (o: Partial<EmbeddedStoreOptions> = {}): Promise<MailStore> => {
    const s = await openEmbeddedStore({ ...options, ...o, dataDir: dir });
    opened.push(s);
    return s;
  };
  const store = await open();
  return {
    dir,
    store,
    reopen: open,
    cleanup: async () => {
      for (const s of opened) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let accountCounter = 0;

export async function createAccount(store: MailStore, overrides: Partial<AccountRecord> = {}): Promise<AccountRecord> {
  accountCounter += 1;
  return store.accounts.create({
    address: overrides.address ?? `user${accountCounter}.${randomBytes(3).toString('hex')}@kep.test`,
    type: overrides.type ?? 'person',
    passwordHash: 'scrypt$test',
    receiveOnly: overrides.receiveOnly ?? false,
    quotaBytes: overrides.quotaBytes ?? 10_000_000,
    state: overrides.state ?? 'active',
    ...(overrides.nationalId !== undefined ? { nationalId: overrides.nationalId } : {}),
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A small RFC 5322 message with a unique body. */
export function sampleMessage(label = randomBytes(6).toString('hex'), bodyBytes = 64): Buffer {
  const body = randomBytes(bodyBytes).toString('base64');
  return Buffer.from(`From: a@kep.test\r\nTo: b@kep.test\r\nSubject: ${label}\r\n\r\n${body}\r\n`);
}

export async function putSample(store: MailStore, label?: string, bodyBytes?: number): Promise<BlobRef> {
  return store.blobs.put(sampleMessage(label, bodyBytes));
}

export function newMessage(accountId: string, blob: BlobRef, extra: Partial<NewMessage> = {}): NewMessage {
  return { accountId, mailboxPath: 'INBOX', blob, kind: 'appended', ...extra };
}

let evidenceCounter = 0;

export function sampleEvidence(extra: { messageId?: string; accountId?: string; uniqueKey?: string; id?: string; eventTime?: Date } = {}): NewEvidence {
  evidenceCounter += 1;
  const id = extra.id ?? `ev-${Date.now().toString(36)}${evidenceCounter}${randomBytes(4).toString('hex')}@kep.test`;
  const xml = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<SubmissionAcceptanceRejection xmlns="http://uri.etsi.org/02640/v2#" Id="${id.split('@')[0]}">` +
      `<EvidenceIdentifier>${id}</EvidenceIdentifier><Pad>${randomBytes(32).toString('hex')}</Pad></SubmissionAcceptanceRejection>\n`,
  );
  return {
    record: {
      id,
      type: 'SubmissionAcceptanceRejection',
      event: 'Acceptance',
      eventTime: extra.eventTime ?? new Date(),
      ...(extra.messageId !== undefined ? { messageId: extra.messageId } : {}),
      ...(extra.accountId !== undefined ? { accountId: extra.accountId } : {}),
    },
    xml,
    ...(extra.uniqueKey !== undefined ? { uniqueKey: extra.uniqueKey } : {}),
  };
}
