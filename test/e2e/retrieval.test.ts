/**
 * The "read" evidence: issued to the sender the first time the recipient's client fetches body
 * content of the dispatch — once, also with several concurrent sessions; header, structure and
 * flag fetches never trigger it. Driven with imapflow, python3 imaplib and curl.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { addUser, imapLogin, removeDir, startProvider, submit, settle, type TestProvider, type TestUser } from '../support/e2e';
import { checkWithStockTools, evidenceFor, mailbox, opensslSmimeVerify, queuedId } from '../support/e2e-inspect';
import { signWithOpenssl } from '../support/smime';

const run = promisify(execFile);

let p: TestProvider;
let ali: TestUser;
let ayse: TestUser;
let can: TestUser;

beforeAll(async () => {
  p = await startProvider();
  ali = await addUser(p, 'ali.veli');
  ayse = await addUser(p, 'ayse.kaya');
  can = await addUser(p, 'can.demir');
});

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
});

async function send(from: TestUser, to: TestUser[], subject: string): Promise<string> {
  const raw = signWithOpenssl({ from: from.address, to: to.map((u) => u.address), subject }, from.certPath, from.keyPath);
  const r = await submit(p, from, raw, { to: to.map((u) => u.address) });
  expect(r.response).toMatch(/^250 /);
  const id = queuedId(r.response);
  await settle(p);
  return id;
}

async function retrievals(id: string): Promise<number[]> {
  await settle(p);
  return (await evidenceFor(p, { messageId: id }))
    .filter((e) => e.data.type === 'RetrievalNonRetrievalByRecipient')
    .map((e) => e.data.refersToRecipient ?? 0)
    .sort();
}

async function uidOf(client: ImapFlow, id: string): Promise<number> {
  const uids = await client.search({ header: { 'X-REM-Message-Identifier': id } }, { uid: true });
  expect(uids).not.toBe(false);
  expect((uids as number[]).length).toBe(1);
  return (uids as number[])[0]!;
}

test('headers, envelope, structure, size and flags never count; the first body fetch issues exactly one Retrieval evidence', async () => {
  const id = await send(ali, [ayse], 'Okundu testi');
  const client = await imapLogin(p, ayse);
  try {
    await client.mailboxOpen('INBOX');
    const uid = await uidOf(client, id);
    await client.fetchOne(String(uid), { envelope: true, bodyStructure: true, size: true, flags: true, headers: true }, { uid: true });
    await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    expect(await retrievals(id)).toEqual([]);

    const full = await client.fetchOne(String(uid), { source: true }, { uid: true });
    expect(full && full.source && full.source.length).toBeGreaterThan(0);
    await client.fetchOne(String(uid), { source: true }, { uid: true });
    expect(await retrievals(id)).toEqual([1]);
  } finally {
    await client.logout();
  }

  const ev = (await evidenceFor(p, { messageId: id })).find((e) => e.data.type === 'RetrievalNonRetrievalByRecipient')!;
  expect(ev.data.event).toBe('Retrieval');
  expect(ev.data.recipientAuthentication?.method).toMatch(/imap/);
  const checks = await checkWithStockTools(p, ev.xml);
  expect(checks.schema).toMatch(/validates$/);
  expect(checks.xmlsec).toContain('SignedInfo References (ok/all): 2/2');
  expect(checks.ts).toContain('Verification: OK');
  // Its receipt reaches the sender's Delil.
  const delil = await mailbox(p, ali.address, 'Delil');
  const receipt = delil.find((m) => m.bytes.includes(Buffer.from(`X-REM-Evidence-Identifier: ${ev.record.id}`)));
  expect(receipt).toBeDefined();
  expect((await opensslSmimeVerify(p, receipt!.bytes)).out).toContain('Verification successful');
});

test('several sessions fetching the same dispatch at once still give one evidence; each recipient gets their own', async () => {
  const id = await send(ali, [ayse, can], 'Eşzamanlı okuma');
  const sessions = await Promise.all([imapLogin(p, ayse), imapLogin(p, ayse), imapLogin(p, ayse), imapLogin(p, can)]);
  try {
    await Promise.all(sessions.map((s) => s.mailboxOpen('INBOX')));
    await Promise.all(
      sessions.map(async (s) => {
        const uid = await uidOf(s, id);
        await s.fetchOne(String(uid), { source: true }, { uid: true });
      }),
    );
  } finally {
    await Promise.all(sessions.map((s) => s.logout()));
  }
  expect(await retrievals(id)).toEqual([1, 2]);
});

test('a dispatch copied to another folder is the same dispatch: reading the copy after the original adds nothing', async () => {
  const id = await send(ali, [ayse], 'Kopya');
  const client = await imapLogin(p, ayse);
  try {
    await client.mailboxOpen('INBOX');
    const uid = await uidOf(client, id);
    await client.mailboxCreate('Arsiv');
    await client.messageCopy(String(uid), 'Arsiv', { uid: true });
    await client.mailboxOpen('Arsiv');
    const copyUid = await uidOf(client, id);
    await client.fetchOne(String(copyUid), { bodyParts: ['TEXT'] }, { uid: true });
    await client.mailboxOpen('INBOX');
    await client.fetchOne(String(uid), { source: true }, { uid: true });
  } finally {
    await client.logout();
  }
  expect(await retrievals(id)).toEqual([1]);
});

test('stock clients: python3 imaplib reads the dispatch byte for byte (and that is a retrieval); curl fetches over imaps', async () => {
  const id = await send(ali, [can], 'imaplib');
  const stored = (await mailbox(p, can.address, 'INBOX')).find((m) => m.record.providerMessageId === id)!;
  const script = `
import imaplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[2]), ssl_context=ctx)
m.login(sys.argv[3], sys.argv[4])
m.select('INBOX')
typ, data = m.uid('FETCH', sys.argv[5], '(BODY.PEEK[])')
sys.stdout.buffer.write(data[0][1])
m.logout()
`;
  // imaplib checks the host name against the certificate: the dev TLS certificate names 127.0.0.1.
  const out = await run('python3', ['-c', script, p.caPath, String(p.daemon.ports.imaps), can.address, can.password, String(stored.record.uid)], {
    encoding: 'buffer',
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(Buffer.from(out.stdout).equals(stored.bytes)).toBe(true);
  expect(await retrievals(id)).toEqual([1]);

  const curl = await run(
    'curl',
    ['-sS', '--cacert', p.caPath, `imaps://localhost:${p.daemon.ports.imaps}/INBOX;UID=${stored.record.uid}`, '--user', `${can.address}:${can.password}`],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  expect(Buffer.from(curl.stdout).equals(stored.bytes)).toBe(true);
  expect(await retrievals(id)).toEqual([1]);
});

test("the sender's own copy in Sent and the receipts in Delil never yield retrieval evidence", async () => {
  const id = await send(ali, [ayse], 'Gönderen okur');
  const client = await imapLogin(p, ali);
  try {
    for (const box of ['Sent', 'Delil']) {
      await client.mailboxOpen(box);
      for await (const m of client.fetch('1:*', { source: true })) expect(m.source?.length).toBeGreaterThan(0);
    }
  } finally {
    await client.logout();
  }
  expect(await retrievals(id)).toEqual([]);
});
