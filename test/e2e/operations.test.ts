/**
 * Operating conditions around the submission path: quota (over quota → cannot send, still
 * receives), an unreachable TSA (4xx, no evidence, recovery without restart), AUTH only after
 * TLS, and logs that never carry passwords or message bodies.
 */
import { createServer, connect as netConnect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ReasonCode } from '../../src/evidence/reasons';
import { loadSigningIdentity } from '../../src/pki/identity';
import { BuiltInTsa, TsaHttpServer } from '../../src/timestamp';
import { addUser, removeDir, startProvider, submit, settle, type TestProvider } from '../support/e2e';
import { evidenceFor, mailbox, queuedId } from '../support/e2e-inspect';
import { signWithOpenssl, unsigned } from '../support/smime';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('quota', () => {
  let p: TestProvider;
  afterAll(async () => {
    await p?.stop();
    if (p) removeDir(p.dir);
  });

  test('a recipient over quota still receives; over quota it cannot send (552 5.2.2, PolicyViolation); deleting frees it', async () => {
    p = await startProvider();
    const ali = await addUser(p, 'ali.veli');
    const dolu = await addUser(p, 'dolu.kutu', { quotaBytes: 4096 });

    const raw = signWithOpenssl({ from: ali.address, to: [dolu.address], subject: 'Kota' }, ali.certPath, ali.keyPath);
    const r = await submit(p, ali, raw, { to: [dolu.address] });
    expect(r.response).toMatch(/^250 /);
    await settle(p);
    const id = queuedId(r.response);
    const inbox = await mailbox(p, dolu.address, 'INBOX');
    expect(inbox.map((m) => m.record.providerMessageId)).toContain(id);
    expect(inbox[0]!.bytes.length).toBeGreaterThan(4096);
    const delivery = (await evidenceFor(p, { messageId: id })).find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient');
    expect(delivery?.data.event).toBe('Delivery');

    const reply = signWithOpenssl({ from: dolu.address, to: [ali.address], subject: 'Cevap' }, dolu.certPath, dolu.keyPath);
    const refused = await submit(p, dolu, reply, { to: [ali.address] });
    expect(refused.response).toMatch(/^552 5\.2\.2 /);
    await settle(p);
    const rejection = (await evidenceFor(p, { address: dolu.address })).find((e) => e.data.event === 'Rejection');
    expect(rejection?.data.reasons?.[0]?.code).toBe(ReasonCode.PolicyViolation);

    // Expunging the dispatch frees the space at once; evidence stays.
    const store = p.daemon.runtime.store;
    const account = (await store.accounts.getByAddress(dolu.address))!;
    const box = (await store.mailboxes.get(account.id, 'INBOX'))!;
    const delil = (await store.mailboxes.get(account.id, 'Delil'))!;
    for (const b of [box, delil]) {
      const uids = (await store.messages.list(b.id)).map((m) => m.uid);
      await store.messages.updateFlags(b.id, uids, 'add', ['\\Deleted']);
      await store.messages.expunge(b.id);
    }
    expect(await store.accounts.usage(account.id)).toBe(0);
    expect((await evidenceFor(p, { messageId: id })).length).toBeGreaterThanOrEqual(2);
    const again = await submit(p, dolu, signWithOpenssl({ from: dolu.address, to: [ali.address], subject: 'Cevap 2' }, dolu.certPath, dolu.keyPath), { to: [ali.address] });
    expect(again.response).toMatch(/^250 /);
  });
});

describe('time-stamp authority unreachable', () => {
  let p: TestProvider;
  let tsaServer: TsaHttpServer | undefined;
  afterAll(async () => {
    await tsaServer?.close();
    await p?.stop();
    if (p) removeDir(p.dir);
  });

  test('submissions get 451 4.3.0 and nothing is issued or stored; once the TSA answers, the same daemon accepts and queued rejection evidence is issued', async () => {
    const port = await freePort();
    p = await startProvider({ env: { KEPD_TSA_URL: `http://127.0.0.1:${port}/tsa`, KEPD_TSA_TIMEOUT_MS: '2000' } });
    const ali = await addUser(p, 'ali.veli');
    const ayse = await addUser(p, 'ayse.kaya');
    const raw = signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'TSA yok' }, ali.certPath, ali.keyPath);

    const down = await submit(p, ali, raw, { to: [ayse.address] });
    expect(down.response).toMatch(/^451 4\.3\.0 .*time-stamp/i);
    // A refusal while the TSA is down: 5xx now, its evidence queued (never issued without a token).
    const bad = await submit(p, ali, unsigned({ from: ali.address, to: [ayse.address], subject: 'imzasız' }), { to: [ayse.address] });
    expect(bad.response).toMatch(/^550 5\.7\.1 /);
    expect(await evidenceFor(p, {})).toHaveLength(0);
    expect(await mailbox(p, ali.address, 'Sent')).toHaveLength(0);
    expect(await mailbox(p, ayse.address, 'INBOX')).toHaveLength(0);

    const tsa = new BuiltInTsa(loadSigningIdentity(join(p.dir, 'pki', 'tsa.pem'), join(p.dir, 'pki', 'tsa.key.pem')));
    tsaServer = new TsaHttpServer(tsa);
    await tsaServer.listen(port, '127.0.0.1');

    const up = await submit(p, ali, raw, { to: [ayse.address] });
    expect(up.response).toMatch(/^250 2\.0\.0 /);
    await settle(p);
    const all = await evidenceFor(p, {});
    const kinds = all.map((e) => `${e.data.type}/${e.data.event}`).sort();
    expect(kinds).toEqual([
      'DeliveryNonDeliveryToRecipient/Delivery',
      'SubmissionAcceptanceRejection/Acceptance',
      'SubmissionAcceptanceRejection/Rejection',
    ]);
    expect(await mailbox(p, ayse.address, 'INBOX')).toHaveLength(1);
  }, 120_000);
});

describe('authentication only over TLS, and clean logs', () => {
  let p: TestProvider;
  afterAll(async () => {
    await p?.stop();
    if (p) removeDir(p.dir);
  });

  test('the STARTTLS port neither advertises nor accepts AUTH before TLS', async () => {
    p = await startProvider();
    const ali = await addUser(p, 'ali.veli');
    const transcript = await new Promise<string>((resolve, reject) => {
      const sock = netConnect(p.daemon.ports.submission, '127.0.0.1');
      let buf = '';
      const steps = ['EHLO client.test\r\n', `AUTH PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}\r\n`, 'QUIT\r\n'];
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        if (/\r\n$/.test(d) && !/^\d{3}-/m.test(d.split('\r\n').filter(Boolean).slice(-1)[0] ?? '')) {
          const next = steps.shift();
          if (next) sock.write(next);
        }
      });
      const timer = setTimeout(() => sock.destroy(), 5000);
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(buf);
      });
      sock.on('error', reject);
    });
    const ehlo = transcript.split('\r\n').filter((l) => l.startsWith('250'));
    expect(ehlo.some((l) => /STARTTLS/.test(l))).toBe(true);
    expect(ehlo.some((l) => /AUTH/.test(l))).toBe(false);
    expect(transcript).toMatch(/\r\n5\d\d 5\.7\.\d+ [^\r]*\r\n/);
    expect(transcript).not.toMatch(/^235 /m);

    // Logs of a full exchange carry no password and no message body.
    const ayse = await addUser(p, 'ayse.kaya');
    const marker = 'GIZLI-ICERIK-7f3a';
    const raw = signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'Gizli', body: `${marker}\r\n` }, ali.certPath, ali.keyPath);
    expect((await submit(p, ali, raw, { to: [ayse.address] })).response).toMatch(/^250 /);
    await submit(p, { address: ali.address, password: 'wrong-password-9' }, raw, { to: [ayse.address] });
    await settle(p);
    const logs = p.logLines.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('submission accepted');
    for (const secret of [ali.password, ayse.password, 'wrong-password-9', marker, Buffer.from(marker).toString('base64')]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('recipients on another KEP provider', () => {
  let p: TestProvider;
  afterAll(async () => {
    await p?.stop();
    if (p) removeDir(p.dir);
  });

  test('a declared SIZE over the 25 MB inter-provider limit is refused for good (552 5.3.4, PolicyViolation); otherwise 451 4.4.0 until relaying exists, nothing accepted', async () => {
    const { appendFileSync } = await import('node:fs');
    const { RawTlsClient, smtpCommand } = await import('../faults/raw-clients');
    p = await startProvider({
      configure: (dir) =>
        appendFileSync(
          join(dir, 'kepd.toml'),
          '\n[[providers]]\nname = "Diğer KEPHS"\ndomains = ["kep.other.test"]\nrelay = "127.0.0.1:1"\nca = "pki/ca.pem"\n',
        ),
    });
    const ali = await addUser(p, 'ali.veli');
    const c = await RawTlsClient.open(p.daemon.ports.submissions, p.caPem);
    try {
      await c.expect(/^220 [^\r\n]*\r\n/m);
      await smtpCommand(c, 'EHLO client.test');
      expect(await smtpCommand(c, `AUTH PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}`)).toMatch(/^235 /m);
      expect(await smtpCommand(c, `MAIL FROM:<${ali.address}> SIZE=${30 * 1024 * 1024}`)).toMatch(/^250 /m);
      expect(await smtpCommand(c, 'RCPT TO:<ornek.as@kep.other.test>')).toMatch(/^552 5\.3\.4 .*another KEP provider/m);
      expect(await smtpCommand(c, 'RSET')).toMatch(/^250 /m);
      expect(await smtpCommand(c, `MAIL FROM:<${ali.address}> SIZE=20000`)).toMatch(/^250 /m);
      expect(await smtpCommand(c, 'RCPT TO:<ornek.as@kep.other.test>')).toMatch(/^451 4\.4\.0 .*another KEP provider/m);
      await smtpCommand(c, 'QUIT');
    } finally {
      c.destroy();
    }
    await settle(p);
    const evs = await evidenceFor(p, { address: ali.address });
    expect(evs).toHaveLength(1);
    expect(evs[0]!.data.event).toBe('Rejection');
    expect(evs[0]!.data.reasons?.[0]?.code).toBe(ReasonCode.PolicyViolation);
    expect(evs[0]!.data.recipients.map((r) => r.address)).toEqual(['ornek.as@kep.other.test']);
    expect(await mailbox(p, ali.address, 'Sent')).toHaveLength(0);
  });
});
