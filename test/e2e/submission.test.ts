/**
 * Registered mail end to end on one provider: real daemon on loopback TLS ports, real SMTP
 * client (nodemailer), S/MIME made with stock openssl and with pkijs, evidence checked with
 * xmllint, xmlsec1 and openssl ts, REM messages with openssl smime.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReasonCode } from '../../src/evidence/reasons';
import { issueUserCertificate } from '../../src/pki/user-cert';
import { readDatabase } from '../support/database';
import { addUser, DOMAIN, imapLogin, removeDir, startProvider, submit, settle, type TestProvider, type TestUser } from '../support/e2e';
import { checkWithStockTools, evidenceFor, header, mailbox, opensslSmimeVerify, queuedId } from '../support/e2e-inspect';
import { tempDir, tool } from '../support/evidence-fixtures';
import { crlf, signInCode, signWithOpenssl, unsigned, type OriginalSpec } from '../support/smime';

let p: TestProvider;
let ali: TestUser;
let ayse: TestUser;
let bob: TestUser;
const tmp = tempDir('kepd-e2e-sub-');

beforeAll(async () => {
  p = await startProvider({ env: { KEPD_LIMITS_MAX_MESSAGE_BYTES: '300000', KEPD_LIMITS_MAX_RELAY_MESSAGE_BYTES: '100000' } });
  ali = await addUser(p, 'ali.veli');
  ayse = await addUser(p, 'ayse.kaya');
  bob = await addUser(p, 'bob.yilmaz', { keyType: 'rsa', nationalId: '12345678901' });
});

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
  tmp.cleanup();
});

function spec(from: TestUser, to: TestUser[], extra: Partial<OriginalSpec> = {}): OriginalSpec {
  return { from: from.address, to: to.map((u) => u.address), subject: `Ihtarname ${Math.random().toString(36).slice(2, 8)}`, ...extra };
}

describe('an accepted KEP message', () => {
  let raw: Buffer;
  let id: string;

  beforeAll(async () => {
    raw = signWithOpenssl(spec(ali, [ayse], { iletiTip: 'eYazisma', iletiId: 'EYP-2026-0001', messageId: '<ua-1@client.test>' }), ali.certPath, ali.keyPath);
    const r = await submit(p, ali, raw, { to: [ayse.address] });
    expect(r.response).toMatch(/^250 2\.0\.0 Ok: queued as K[0-9A-Z]{26}$/);
    id = queuedId(r.response);
    await settle(p);
  });

  test("the sender's Sent folder holds the exact bytes received", async () => {
    const sent = await mailbox(p, ali.address, 'Sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.bytes.equals(raw)).toBe(true);
    // Under a unique blob key (inline): the time of storing, then the SHA-256 of the bytes.
    expect(sent[0]!.record.blobHash).toMatch(/^[0-9a-f]{76}$/);
    expect(sent[0]!.record.blobHash.slice(12)).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  test('acceptance and delivery evidence: schema-valid, xmlsec1-verified, time-stamped, bound to the digest of the exact bytes', async () => {
    const evs = await evidenceFor(p, { messageId: id });
    const kinds = evs.map((e) => `${e.data.type}/${e.data.event}`).sort();
    expect(kinds).toEqual(['DeliveryNonDeliveryToRecipient/Delivery', 'SubmissionAcceptanceRejection/Acceptance']);
    const digest = createHash('sha256').update(raw).digest();
    for (const ev of evs) {
      expect(ev.data.message?.digestSha256?.equals(digest)).toBe(true);
      expect(ev.data.message?.providerMessageId).toBe(`<${id}@${DOMAIN}>`);
      expect(ev.data.message?.uaMessageId).toBe('<ua-1@client.test>');
      expect(ev.data.sender.address).toBe(ali.address);
      expect(ev.data.recipients.map((r) => r.address)).toEqual([ayse.address]);
      expect(ev.data.extension).toMatchObject({ iletiTip: 'eYazisma', iletiId: 'EYP-2026-0001' });
      const checks = await checkWithStockTools(p, ev.xml);
      expect(checks.schema).toMatch(/validates$/);
      expect(checks.xmlsec).toContain('OK');
      expect(checks.xmlsec).toContain('SignedInfo References (ok/all): 2/2');
      expect(checks.ts).toContain('Verification: OK');
    }
    const delivery = evs.find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient')!;
    expect(delivery.data.refersToRecipient).toBe(1);
    // The signer certificate of the original is named in the acceptance evidence.
    const acceptance = evs.find((e) => e.data.type === 'SubmissionAcceptanceRejection')!;
    const aliDer = Buffer.from(ali.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(acceptance.data.sender.certificateDer?.equals(aliDer)).toBe(true);
  });

  test("the recipient's INBOX holds a provider-signed REM dispatch carrying the original byte for byte and the acceptance evidence", async () => {
    const inbox = await mailbox(p, ayse.address, 'INBOX');
    expect(inbox).toHaveLength(1);
    const dispatch = inbox[0]!;
    expect(dispatch.record.kind).toBe('dispatch');
    // Its own bytes, under a unique blob key: the time of storing, then their SHA-256.
    expect(dispatch.record.blobHash).toMatch(/^[0-9a-f]{76}$/);
    expect(dispatch.record.blobHash.slice(12)).toBe(createHash('sha256').update(dispatch.bytes).digest('hex'));
    const v = await opensslSmimeVerify(p, dispatch.bytes);
    expect(v.out).toContain('Verification successful');
    expect(header(dispatch.bytes, 'X-REM-Msg-Type')).toBe('Dispatch');
    expect(header(dispatch.bytes, 'X-REM-Message-Identifier')).toBe(`<${id}@${DOMAIN}>`);
    expect(header(dispatch.bytes, 'Reply-To')).toBe(`<${ali.address}>`);
    expect(header(dispatch.bytes, 'X-TR-REM-iletiTip')).toBe('eYazisma');
    // Order: introduction, original (message/rfc822, binary), evidence.
    const content = v.content.toString('latin1');
    const intro = content.indexOf('multipart/alternative');
    const orig = content.indexOf('Content-Type: message/rfc822');
    const evidence = content.indexOf('name="SubmissionAcceptanceRejection.xml"');
    expect(intro).toBeGreaterThan(0);
    expect(orig).toBeGreaterThan(intro);
    expect(evidence).toBeGreaterThan(orig);
    expect(v.content.includes(raw)).toBe(true);
    // kepd's own verifier agrees, including the digest binding to the embedded original.
    const file = tmp.file(`dispatch-${id}.eml`, dispatch.bytes);
    const cli = await tool('node', [join(__dirname, '../../bin/kepd.js'), 'evidence', 'verify', file, '--data', p.dir]);
    expect(cli.stdout).toContain('verification: OK');
    expect(cli.code).toBe(0);
  });

  test("the sender's Delil holds one REM receipt per evidence, provider-signed, with the X-REM headers", async () => {
    const delil = await mailbox(p, ali.address, 'Delil');
    const evs = await evidenceFor(p, { messageId: id });
    const ours = delil.filter((m) => m.record.providerMessageId === id);
    expect(ours).toHaveLength(evs.length);
    for (const m of ours) {
      expect((await opensslSmimeVerify(p, m.bytes)).out).toContain('Verification successful');
      expect(m.record.blobHash).toMatch(/^[0-9a-f]{76}$/);
      expect(m.record.blobHash.slice(12)).toBe(createHash('sha256').update(m.bytes).digest('hex'));
      const evId = header(m.bytes, 'X-REM-Evidence-Identifier');
      const ev = evs.find((e) => e.record.id === evId);
      expect(ev).toBeDefined();
      expect(header(m.bytes, 'X-REM-Evidence-Type')).toBe(ev!.data.type);
      expect(header(m.bytes, 'X-REM-Event')).toBe(ev!.data.event);
      expect(header(m.bytes, 'X-REM-Message-Identifier')).toBe(`<${id}@${DOMAIN}>`);
      expect(m.bytes.includes(Buffer.from(`name="${ev!.data.type}.xml"`))).toBe(true);
    }
  });

  test('one job per message: the dispatch job delivered both receipts itself (no receipt jobs), and running it again adds nothing', async () => {
    await readDatabase(p.dir, async (db) => {
      const jobs = (key: string) => db.prepare('SELECT kind, state FROM jobs WHERE unique_key = ?').all(key) as { kind: string; state: string }[];
      const counts = async () => ({
        inbox: (await mailbox(p, ayse.address, 'INBOX')).filter((m) => m.record.providerMessageId === id).length,
        delil: (await mailbox(p, ali.address, 'Delil')).filter((m) => m.record.providerMessageId === id).length,
        sent: (await mailbox(p, ali.address, 'Sent')).filter((m) => m.record.providerMessageId === id).length,
        evidence: (await evidenceFor(p, { messageId: id })).length,
      });
      expect(jobs(`dispatch:${id}`)).toEqual([{ kind: 'dispatch', state: 'done' }]);
      const evs = await evidenceFor(p, { messageId: id });
      expect(evs.map((e) => e.data.event).sort()).toEqual(['Acceptance', 'Delivery']);
      for (const e of evs) expect(jobs(`receipt:${e.record.id}`)).toEqual([]);
      const before = await counts();
      expect(before).toEqual({ inbox: 1, delil: 2, sent: 1, evidence: 2 });
      // A dispatch run twice (a retry after a commit whose outcome was unknown) changes nothing.
      await p.daemon.runtime.store.commit([
        { op: 'enqueueJob', job: { kind: 'dispatch', payload: { messageId: id, acceptanceReceipt: true, sentCopy: true }, uniqueKey: `dispatch-again:${id}` } },
      ]);
      await settle(p);
      expect(jobs(`dispatch-again:${id}`)).toEqual([{ kind: 'dispatch', state: 'done' }]);
      expect(await counts()).toEqual(before);
    });
  });
});

test('a pkijs-made signature with an RSA certificate naming the sender by national id, over implicit TLS (465)', async () => {
  const raw = await signInCode(spec(bob, [ayse, ali]), bob.certPem, bob.keyPem);
  const r = await submit(p, bob, raw, { to: [ayse.address, ali.address] }, { implicitTls: true });
  expect(r.response).toMatch(/^250 2\.0\.0 Ok: queued as/);
  const id = queuedId(r.response);
  await settle(p);
  const evs = await evidenceFor(p, { messageId: id });
  const deliveries = evs.filter((e) => e.data.event === 'Delivery').map((e) => e.data.refersToRecipient).sort();
  expect(deliveries).toEqual([1, 2]);
  expect((await mailbox(p, ali.address, 'INBOX')).some((m) => m.record.providerMessageId === id)).toBe(true);
});

test('a message larger than the inline blob threshold: its dispatch embeds the stored original by reference, and IMAP serves it whole and in parts', async () => {
  // 280 KB of text: over store.inline_blob_bytes (256 KiB), under this provider's 300,000-byte limit.
  const line = 'Bu satır büyük bir KEP iletisinin gövdesidir; 0123456789 abcdefghij.\r\n';
  const body = line.repeat(Math.ceil(280_000 / Buffer.byteLength(line)));
  const raw = signWithOpenssl(spec(ali, [ayse], { body }), ali.certPath, ali.keyPath);
  expect(raw.length).toBeGreaterThan(262_144);
  const r = await submit(p, ali, raw, { to: [ayse.address] });
  expect(r.response).toMatch(/^250 2\.0\.0 /);
  const id = queuedId(r.response);
  await settle(p);

  const dispatch = (await mailbox(p, ayse.address, 'INBOX')).find((m) => m.record.providerMessageId === id)!;
  const original = (await mailbox(p, ali.address, 'Sent')).find((m) => m.bytes.equals(raw))!;
  expect(original).toBeDefined();
  // Stored as parts around the original's own blob: no copy of its bytes, no file of its own.
  const parts = readDatabase(p.dir, (db) => db.prepare('SELECT size, ref_hash FROM blob_parts WHERE hash = ? ORDER BY seq').all(dispatch.record.blobHash)) as Array<{ size: number; ref_hash: string | null }>;
  expect(parts.map((x) => x.ref_hash)).toEqual([null, original.record.blobHash, null]);
  expect(parts.reduce((n, x) => n + x.size, 0)).toBe(dispatch.bytes.length);
  expect(existsSync(join(p.dir, 'blobs', dispatch.record.blobHash.slice(0, 2), dispatch.record.blobHash))).toBe(false);
  expect(createHash('sha256').update(dispatch.bytes).digest('hex')).toBe(dispatch.record.blobHash);
  const v = await opensslSmimeVerify(p, dispatch.bytes);
  expect(v.out).toContain('Verification successful');
  expect(v.content.includes(raw)).toBe(true);

  // What a mail client gets over IMAP: the whole message, and a part that spans the seam
  // between the dispatch's own bytes and the embedded original.
  const start = dispatch.bytes.indexOf(raw) - 100;
  const client = await imapLogin(p, ayse);
  try {
    await client.mailboxOpen('INBOX');
    const uids = (await client.search({ header: { 'X-REM-Message-Identifier': `<${id}@${DOMAIN}>` } }, { uid: true })) as number[];
    expect(uids).toHaveLength(1);
    const whole = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
    expect(whole && whole.source?.equals(dispatch.bytes)).toBe(true);
    const part = await client.fetchOne(String(uids[0]), { source: { start, maxLength: 1000 } }, { uid: true });
    expect(part && part.source?.equals(dispatch.bytes.subarray(start, start + 1000))).toBe(true);
  } finally {
    await client.logout();
  }
  expect(await p.daemon.runtime.store.integrityCheck()).toEqual({ ok: true, problems: [] });
});

test('an opaque (application/pkcs7-mime) signed message is accepted', async () => {
  const raw = signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath, { opaque: true });
  const r = await submit(p, ali, raw, { to: [ayse.address] });
  expect(r.response).toMatch(/^250 2\.0\.0 /);
});

describe('refusals: SMTP reply and the rejection evidence in the sender’s Delil', () => {
  async function lastRejection(user: TestUser): Promise<{ reason?: number; details?: string; messageDigest?: Buffer }> {
    await settle(p);
    const evs = (await evidenceFor(p, { address: user.address })).filter((e) => e.data.event === 'Rejection');
    const newest = evs[0];
    if (!newest) return {};
    const checks = await checkWithStockTools(p, newest.xml);
    expect(checks.schema).toMatch(/validates$/);
    expect(checks.xmlsec).toContain('OK');
    return { reason: newest.data.reasons?.[0]?.code, details: newest.data.reasons?.[0]?.details, messageDigest: newest.data.message?.digestSha256 };
  }

  async function expectRefused(user: TestUser, raw: Buffer, to: string[], reply: RegExp, reason: ReasonCode, from?: string): Promise<void> {
    await settle(p);
    const before = (await evidenceFor(p, { address: user.address })).length;
    const r = await submit(p, user, raw, { to, from });
    expect(r.ok).toBe(false);
    expect(r.response).toMatch(reply);
    const rej = await lastRejection(user);
    expect(rej.reason).toBe(reason);
    expect(rej.details).toBeTruthy();
    await settle(p);
    const after = await evidenceFor(p, { address: user.address });
    expect(after.length).toBe(before + 1);
    // The receipt of the rejection is in Delil too.
    const delil = await mailbox(p, user.address, 'Delil');
    expect(delil.some((m) => header(m.bytes, 'X-REM-Evidence-Identifier') === after[0]!.record.id)).toBe(true);
  }

  test('content altered after signing → 550 5.7.7, InvalidUserSignature', async () => {
    const raw = signWithOpenssl(spec(ali, [ayse], { body: 'Borcunuz 100 TL.\r\n' }), ali.certPath, ali.keyPath);
    const tampered = Buffer.from(raw.toString('latin1').replace('Borcunuz 100 TL', 'Borcunuz 900 TL'), 'latin1');
    await expectRefused(ali, tampered, [ayse.address], /^550 5\.7\.7 /, ReasonCode.InvalidUserSignature);
    const rej = await lastRejection(ali);
    expect(rej.messageDigest?.equals(createHash('sha256').update(tampered).digest())).toBe(true);
  });

  test('certificate from an unknown CA → 550 5.7.5, InvalidUserSignature', async () => {
    const dir = tmp.dir;
    await tool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'rogue-ca.key'), '-out', join(dir, 'rogue-ca.pem'), '-days', '30', '-subj', '/CN=Rogue CA']);
    const rogue = await issueUserCertificate(
      { certPem: readFileSync(join(dir, 'rogue-ca.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'rogue-ca.key'), 'utf8') },
      { address: ali.address },
    );
    const cert = tmp.file('rogue-user.pem', rogue.certPem);
    const key = tmp.file('rogue-user.key', rogue.keyPem);
    await expectRefused(ali, signWithOpenssl(spec(ali, [ayse]), cert, key), [ayse.address], /^550 5\.7\.5 /, ReasonCode.InvalidUserSignature);
  });

  test('expired certificate → 550 5.7.5, UserCertExpiredOrRevoked', async () => {
    const expired = await issueUserCertificate(
      { certPem: p.caPem, keyPem: readFileSync(join(p.dir, 'pki', 'ca.key.pem'), 'utf8') },
      { address: ali.address, notBefore: new Date(Date.now() - 400 * 86400_000), notAfter: new Date(Date.now() - 30 * 86400_000) },
    );
    const raw = signWithOpenssl(spec(ali, [ayse]), tmp.file('exp.pem', expired.certPem), tmp.file('exp.key', expired.keyPem));
    await expectRefused(ali, raw, [ayse.address], /^550 5\.7\.5 /, ReasonCode.UserCertExpiredOrRevoked);
  });

  test("signed with someone else's valid certificate → 550 5.7.1, InvalidUserSignature", async () => {
    const raw = signWithOpenssl(spec(ali, [ayse]), bob.certPath, bob.keyPath);
    await expectRefused(ali, raw, [ayse.address], /^550 5\.7\.1 .*not signed by the sender/, ReasonCode.InvalidUserSignature);
  });

  test('SHA-1 signature → 550 5.7.6, InvalidUserSignature', async () => {
    const raw = signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath, { md: 'sha1' });
    await expectRefused(ali, raw, [ayse.address], /^550 5\.7\.6 /, ReasonCode.InvalidUserSignature);
  });

  test('certificate without emailProtection → 550 5.7.5, InvalidUserSignature', async () => {
    const serverOnly = await issueUserCertificate(
      { certPem: p.caPem, keyPem: readFileSync(join(p.dir, 'pki', 'ca.key.pem'), 'utf8') },
      { address: ali.address, extKeyUsage: ['1.3.6.1.5.5.7.3.1'] },
    );
    const raw = signWithOpenssl(spec(ali, [ayse]), tmp.file('srv.pem', serverOnly.certPem), tmp.file('srv.key', serverOnly.keyPem));
    await expectRefused(ali, raw, [ayse.address], /^550 5\.7\.5 /, ReasonCode.InvalidUserSignature);
  });

  test('unsigned message → 550 5.7.1, InvalidUserSignature', async () => {
    await expectRefused(ali, unsigned(spec(ali, [ayse])), [ayse.address], /^550 5\.7\.1 /, ReasonCode.InvalidUserSignature);
  });

  test('From header other than MAIL FROM → 550 5.7.1, PolicyViolation', async () => {
    const raw = signWithOpenssl(spec(ali, [ayse], { from: bob.address }), ali.certPath, ali.keyPath);
    await expectRefused(ali, raw, [ayse.address], /^550 5\.7\.1 From:/, ReasonCode.PolicyViolation);
  });

  test('unknown X-TR-REM-iletiTip → 550 5.6.0, InvalidMessageFormat', async () => {
    const raw = signWithOpenssl(spec(ali, [ayse], { iletiTip: 'telgraf' }), ali.certPath, ali.keyPath);
    await expectRefused(ali, raw, [ayse.address], /^550 5\.6\.0 /, ReasonCode.InvalidMessageFormat);
  });

  test('multipart/signed without its closing delimiter → 550 5.6.0, InvalidMessageFormat', async () => {
    const raw = signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath).toString('latin1');
    const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)![1]!;
    const cut = Buffer.from(raw.slice(0, raw.lastIndexOf(`--${boundary}--`)), 'latin1');
    await expectRefused(ali, cut, [ayse.address], /^550 5\.6\.0 Malformed message: .*closing/, ReasonCode.InvalidMessageFormat);
  });

  test('a message over the size limit → 552 5.3.4, PolicyViolation', async () => {
    const big = signWithOpenssl(spec(ali, [ayse], { body: 'x'.repeat(76).concat('\r\n').repeat(4200) }), ali.certPath, ali.keyPath);
    expect(big.length).toBeGreaterThan(300000);
    await expectRefused(ali, big, [ayse.address], /^552 5\.3\.4 /, ReasonCode.PolicyViolation);
    // Nothing of it was kept: no new blob beyond the limit, no mailbox entry.
    expect((await mailbox(p, ayse.address, 'INBOX')).some((m) => m.bytes.length > 300000)).toBe(false);
  });

  test('a recipient outside KEP → 550 5.7.1 at RCPT, PolicyViolation', async () => {
    await expectRefused(ali, signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath), ['someone@gmail.com'], /^550 5\.7\.1 .*not a KEP address/, ReasonCode.PolicyViolation);
  });

  test('an unknown account of this provider → 550 5.1.1 at RCPT, UnknownRecipient', async () => {
    await expectRefused(ali, signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath), [`nobody.here@${DOMAIN}`], /^550 5\.1\.1 /, ReasonCode.UnknownRecipient);
  });

  test('MAIL FROM other than the authenticated account → 553 5.7.1, PolicyViolation', async () => {
    await expectRefused(ali, signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath), [ayse.address], /^553 5\.7\.1 /, ReasonCode.PolicyViolation, bob.address);
  });
});

test('wrong password → 535 5.7.8 and nothing issued', async () => {
  const before = (await evidenceFor(p, {})).length;
  const r = await submit(p, { address: ali.address, password: 'not-the-password' }, signWithOpenssl(spec(ali, [ayse]), ali.certPath, ali.keyPath), { to: [ayse.address] });
  expect(r.response).toMatch(/^535 5\.7\.8 /);
  expect((await evidenceFor(p, {})).length).toBe(before);
});

test('CRLF normalisation helper keeps signatures made over CRLF text valid (sanity of the test tooling)', () => {
  expect(crlf('a\nb\r\nc').toString()).toBe('a\r\nb\r\nc');
});
