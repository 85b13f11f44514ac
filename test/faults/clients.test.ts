/**
 * Clients that go away or stall at the worst moment. SMTP: disconnecting or stalling in the
 * middle of DATA (and idling before AUTH) leaves nothing stored, no evidence, no temp file and
 * no open file; the socket timeout closes a stalled session while others are served. IMAP:
 * breaking off a body FETCH leaves the read evidence recorded once — the hand-over is recorded
 * before the first byte goes out — and nothing else; a client that stops reading a large FETCH
 * is cut off by the socket timeout without holding the daemon or its files.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { imapSelected, openFilesUnder, RawTlsClient, smtpUpToData } from './raw-clients';
import { startRig, type FaultRig } from './rig';
import { largeSignedOriginal } from './provider';

const SMTP_TIMEOUT_MS = 2000;
const IMAP_TIMEOUT_MS = 3000;

let rig: FaultRig;

beforeAll(async () => {
  rig = await startRig({
    tag: 'client',
    users: ['ali.veli', 'ayse.kaya', 'can.demir'],
    env: { KEPD_SMTP_SOCKET_TIMEOUT_MS: String(SMTP_TIMEOUT_MS), KEPD_IMAP_SOCKET_TIMEOUT_MS: String(IMAP_TIMEOUT_MS) },
  });
}, 120_000);

afterAll(async () => {
  await rig?.cleanup();
});

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const dataPath = (...p: string[]): string => join(rig.provider.dataDir, ...p);
const tempFiles = (): string[] => readdirSync(dataPath('tmp'));
const openUnder = (dir: string): string[] => openFilesUnder(rig.daemon.pid, dataPath(dir));

/** What the store holds, in numbers that any stored half-message would change. */
async function holdings(): Promise<{ evidence: number; messages: number; submissions: number }> {
  let messages = 0;
  let submissions = 0;
  for (const u of rig.provider.users) {
    const account = (await rig.inspector.accounts.getByAddress(u.address))!;
    submissions += (await rig.inspector.submissions.listByAccount(account.id)).length;
    for (const box of await rig.inspector.mailboxes.list(account.id)) messages += (await rig.inspector.messages.list(box.id)).length;
  }
  return { evidence: (await rig.inspector.evidence.list()).length, messages, submissions };
}

/** Starts DATA of a 4 MB message and sends its first half; the daemon is then streaming it to tmp/. */
async function halfSent(tag: string): Promise<RawTlsClient> {
  const [ali, ayse] = [rig.user('ali.veli'), rig.user('ayse.kaya')];
  const uaMessageId = `<${tag}@client.test>`;
  const raw = largeSignedOriginal(ali, [ayse.address], tag, uaMessageId, 4 * 1024 * 1024);
  rig.noteSubmission({ n: -1, uaMessageId, sender: ali.address, recipients: [ayse.address], signed: true, outcome: { kind: 'unknown', error: tag } });
  const c = await smtpUpToData(rig.daemon.ports.submissions, rig.provider.caPem, ali, [ayse.address]);
  await c.write(raw.subarray(0, raw.length >> 1));
  await waitFor('the message in tmp/', () => tempFiles().some((f) => f.endsWith('.blob.tmp')));
  return c;
}

async function dispatchUid(local: string, messageId: string): Promise<number> {
  const account = (await rig.inspector.accounts.getByAddress(rig.user(local).address))!;
  const inbox = (await rig.inspector.mailboxes.get(account.id, 'INBOX'))!;
  const m = (await rig.inspector.messages.list(inbox.id)).find((x) => x.providerMessageId === messageId);
  if (!m) throw new Error(`no dispatch of ${messageId} for ${local}`);
  return m.uid;
}

async function retrievals(messageId: string): Promise<number> {
  return (await rig.inspector.evidence.list({ messageId })).filter((e) => e.type === 'RetrievalNonRetrievalByRecipient').length;
}

async function sendLarge(from: string, to: string, bytes: number): Promise<string> {
  const e = await rig.send(rig.user(from), [rig.user(to)], { bytes });
  if (e.outcome?.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(e.outcome)}`);
  await rig.settle();
  return e.outcome.id;
}

test('a client that disconnects in the middle of DATA leaves nothing: no message, no evidence, no temp file, no open file', async () => {
  const before = await holdings();
  const c = await halfSent('yarim-kalan');
  c.destroy();
  await waitFor('tmp/ to empty', () => tempFiles().length === 0 && openUnder('tmp').length === 0);
  await rig.settle();
  expect(await holdings()).toEqual(before);
}, 120_000);

test('a client that stalls in the middle of DATA is closed by the socket timeout; others are served meanwhile', async () => {
  const before = await holdings();
  const c = await halfSent('duran-istemci');
  // While it stalls, another user's message goes through.
  const other = await rig.send(rig.user('can.demir'), [rig.user('ali.veli')]);
  expect(other.outcome).toMatchObject({ kind: 'accepted' });
  expect(await c.expect(/421 [^\r\n]*\r\n/, 10 * SMTP_TIMEOUT_MS)).toMatch(/421 /);
  await c.closed;
  await waitFor('tmp/ to empty', () => tempFiles().length === 0 && openUnder('tmp').length === 0);
  await rig.settle();
  const after = await holdings();
  // Only the other message arrived: its submission, Sent copy and dispatch, and their evidence.
  expect(after.submissions).toBe(before.submissions + 1);
  expect(after.messages - before.messages).toBe(2 + 2 /* acceptance and delivery receipts */);
}, 120_000);

test('a client that connects and never speaks is closed by the socket timeout', async () => {
  const c = await RawTlsClient.open(rig.daemon.ports.submissions, rig.provider.caPem);
  expect(await c.expect(/^220 [^\r\n]*\r\n/)).toBeDefined();
  expect(await c.expect(/421 [^\r\n]*\r\n/, 10 * SMTP_TIMEOUT_MS)).toMatch(/421 /);
  await c.closed;
}, 60_000);

test('breaking off a body FETCH: the read evidence is issued once (recorded before the first byte), nothing else changes', async () => {
  const id = await sendLarge('ali.veli', 'ayse.kaya', 3 * 1024 * 1024);
  const uid = await dispatchUid('ayse.kaya', id);
  const c = await imapSelected(rig.daemon.ports.imaps, rig.provider.caPem, rig.user('ayse.kaya'));
  await c.write(`a3 UID FETCH ${uid} BODY.PEEK[]\r\n`);
  expect(await c.receivedAtLeast(64 * 1024)).toBe(true);
  c.destroy();
  rig.noteRead('ayse.kaya', uid, 'failed');
  await waitFor('the blob to be closed', () => openUnder('blobs').length === 0);
  await rig.settle();
  expect(await retrievals(id)).toBe(1);
  const account = (await rig.inspector.accounts.getByAddress(rig.user('ayse.kaya').address))!;
  const inbox = (await rig.inspector.mailboxes.get(account.id, 'INBOX'))!;
  expect((await rig.inspector.messages.list(inbox.id, [uid]))[0]!.flags).not.toContain('\\Seen');

  // Reading it in full later issues nothing more.
  expect(await rig.read('ayse.kaya', uid)).toBe('read');
  await rig.settle();
  expect(await retrievals(id)).toBe(1);

  // A dispatch only ever fetched in part: its read evidence stands (the ledger counts it apart).
  const second = await sendLarge('ayse.kaya', 'can.demir', 3 * 1024 * 1024);
  const uid2 = await dispatchUid('can.demir', second);
  const c2 = await imapSelected(rig.daemon.ports.imaps, rig.provider.caPem, rig.user('can.demir'));
  await c2.write(`b3 UID FETCH ${uid2} BODY.PEEK[]\r\n`);
  expect(await c2.receivedAtLeast(64 * 1024)).toBe(true);
  c2.destroy();
  rig.noteRead('can.demir', uid2, 'failed');
  await rig.settle();
  expect(await retrievals(second)).toBe(1);
}, 180_000);

test('a client that stops reading a large FETCH is cut off by the socket timeout and holds nothing open', async () => {
  const size = 12 * 1024 * 1024;
  const id = await sendLarge('can.demir', 'ali.veli', size);
  const uid = await dispatchUid('ali.veli', id);
  const c = await imapSelected(rig.daemon.ports.imaps, rig.provider.caPem, rig.user('ali.veli'));
  c.stallReading();
  await c.write(`a3 UID FETCH ${uid} BODY[]\r\n`);
  await waitFor('the FETCH to start', () => openUnder('blobs').length > 0);
  // Others are served while it stalls.
  expect((await rig.send(rig.user('ayse.kaya'), [rig.user('can.demir')])).outcome).toMatchObject({ kind: 'accepted' });
  expect(await rig.read('ayse.kaya', 1)).toBe('read');
  await waitFor('the daemon to let go of the blob', () => openUnder('blobs').length === 0, 20 * IMAP_TIMEOUT_MS);
  // What the client still had buffered drains; then it finds the connection closed, short of the body.
  c.socket.resume();
  await c.closed;
  expect(c.received).toBeLessThan(size);
  rig.noteRead('ali.veli', uid, 'failed');

  const { exitCode, report } = await rig.finish();
  expect(report.problems).toEqual([]);
  expect(exitCode).toBe(0);
  expect(report.figures).toMatchObject({ lost: 0, duplicated: 0, invalidEvidence: 0, readsInterruptedWithEvidence: 2 });
}, 180_000);
