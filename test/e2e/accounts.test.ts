/**
 * Accounts as KEP defines them (kep-rem.md §8.2–8.3), through the real protocols and the CLI:
 * address rules and addresses never reissued, receive-only, legal entities acting through
 * operators with their own certificates, a removed operator's sessions cut, the lifecycle
 * (awaiting activation → active → closed → reopened) with an injected clock, quota, and a
 * directory that never reveals unlisted persons.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { SubmissionService } from '../../src/engine/submission';
import { ReasonCode } from '../../src/evidence/reasons';
import { issueUserCertificate } from '../../src/pki/user-cert';
import { addUser, DOMAIN, imapLogin, removeDir, settle, startProvider, submit, type TestProvider, type TestUser } from '../support/e2e';
import { checkWithStockTools, evidenceFor, mailbox, queuedId } from '../support/e2e-inspect';
import { tempDir } from '../support/evidence-fixtures';
import { signWithOpenssl, type OriginalSpec } from '../support/smime';

const BIN = join(__dirname, '../../bin/kepd.js');
const DAY = 86_400_000;

let p: TestProvider;
let ali: TestUser;
/** The daemon's clock runs this far ahead of the real one (the closed-account period). */
let clockOffsetMs = 0;
const tmp = tempDir('kepd-e2e-acc-');

interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `kepd ...` in this process, against the running provider's data directory. */
async function cli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (s) => (out += s), err: (s) => (err += s) };
  const code = await main(['node', 'kepd', ...args, '--data', p.dir], io);
  return { code, out, err };
}

/** `kepd ...` as a separate process (another store connection, as an administrator runs it). */
function spawnCli(...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data', p.dir]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

interface Signer {
  certPath: string;
  keyPath: string;
  certPem: string;
}

async function issue(name: string, opts: { address: string; nationalId?: string }): Promise<Signer> {
  const ca = { certPem: p.caPem, keyPem: readFileSync(join(p.dir, 'pki', 'ca.key.pem'), 'utf8') };
  const cert = await issueUserCertificate(ca, { address: opts.address, name, nationalId: opts.nationalId });
  const certPath = tmp.file(`${name.replace(/\s+/g, '-')}.cert.pem`, cert.certPem);
  const keyPath = tmp.file(`${name.replace(/\s+/g, '-')}.key.pem`, cert.keyPem);
  return { certPath, keyPath, certPem: cert.certPem };
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

function spec(from: string, to: string[], subject: string): OriginalSpec {
  return { from, to, subject: `${subject} ${Math.random().toString(36).slice(2, 8)}` };
}

async function send(from: TestUser, to: string[], subject: string): Promise<string> {
  const r = await submit(p, from, signWithOpenssl(spec(from.address, to, subject), from.certPath, from.keyPath), { to });
  expect(r.response).toMatch(/^250 /);
  await settle(p);
  return queuedId(r.response);
}

/** Fails the test with `what` if `promise` has not settled after `ms` (a bound, not a timing assertion). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting for ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A line-by-line IMAP session over TLS, to see the exact answers (texts included). */
class RawImap {
  private buffer = '';
  private waiting: (() => void) | undefined;
  private tag = 0;
  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('latin1');
      this.waiting?.();
    });
  }

  static async open(): Promise<RawImap> {
    const socket = tlsConnect({ host: '127.0.0.1', port: p.daemon.ports.imaps, ca: p.caPem, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const raw = new RawImap(socket);
    await raw.until((b) => b.includes('\r\n'));
    raw.buffer = '';
    return raw;
  }

  private async until(done: (buffer: string) => boolean): Promise<void> {
    while (!done(this.buffer)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no IMAP answer; so far: ${this.buffer}`)), 15_000);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends one command (with an optional literal) and returns every line up to its tagged answer. */
  async command(text: string, literal?: Buffer): Promise<string> {
    const tag = `t${++this.tag}`;
    this.buffer = '';
    if (literal) {
      this.socket.write(`${tag} ${text} {${literal.length}}\r\n`);
      await this.until((b) => /^\+/m.test(b) || new RegExp(`^${tag} `, 'm').test(b));
      if (/^\+/m.test(this.buffer)) this.socket.write(Buffer.concat([literal, Buffer.from('\r\n')]));
    } else {
      this.socket.write(`${tag} ${text}\r\n`);
    }
    await this.until((b) => new RegExp(`^${tag} [^\\r\\n]*\\r\\n`, 'm').test(b));
    return this.buffer;
  }

  close(): void {
    this.socket.destroy();
  }
}

beforeAll(async () => {
  p = await startProvider({ runtime: { now: () => new Date(Date.now() + clockOffsetMs) } });
  ali = await addUser(p, 'ali.veli');
});

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
  tmp.cleanup();
});

describe('addresses', () => {
  test('invalid addresses are refused with clear messages (exit 2), duplicates too, and a closed address is never issued again', async () => {
    const shape = await cli('account', 'create', `aliveli@${DOMAIN}`, '--password', 'long-enough-1');
    expect(shape.code).toBe(2);
    expect(shape.err).toMatch(/ad\.soyad/);
    const turkish = await cli('account', 'create', `ayşe.öztürk@${DOMAIN}`, '--password', 'long-enough-1');
    expect(turkish.code).toBe(2);
    expect(turkish.err).toContain(`did you mean "ayse.ozturk@${DOMAIN}"`);
    const entity = await cli('account', 'create', `ornek_holding@${DOMAIN}`, '--type', 'entity', '--password', 'long-enough-1');
    expect(entity.code).toBe(2);
    expect(entity.err).toMatch(/MERSIS no \| entity name/);
    const duplicate = await cli('account', 'create', `ALI.VELI@${DOMAIN}`, '--password', 'long-enough-1');
    expect(duplicate.code).toBe(2);
    expect(duplicate.err).toMatch(/already taken/);

    const created = await cli('account', 'create', `eski.sahip@${DOMAIN}`, '--password', 'long-enough-1');
    expect(created.code).toBe(0);
    expect((await cli('account', 'close', `eski.sahip@${DOMAIN}`, '--by', 'staff:ayse')).code).toBe(0);
    const reissue = await cli('account', 'create', `eski.sahip@${DOMAIN}`, '--password', 'another-holder-1');
    expect(reissue.code).toBe(2);
    expect(reissue.err).toMatch(/never reissued/);
    // Reopening gives the same holder the same account back.
    expect((await cli('account', 'reopen', `eski.sahip@${DOMAIN}`)).code).toBe(0);
    const shown = JSON.parse((await cli('account', 'show', `eski.sahip@${DOMAIN}`, '--json')).out) as { id: string; state: string; history: Array<{ event: string; by: string }> };
    expect(shown.id).toBe(created.out.trim());
    expect(shown.state).toBe('active');
    expect(shown.history.map((h) => `${h.event} by ${h.by}`)).toEqual([`created by cli:${userInfo().username}`, 'closed by staff:ayse', expect.stringMatching(/^reopened by /)]);
  });
});

describe('receive-only accounts', () => {
  test('log in and read, but every submission is refused at MAIL FROM with a reason and a rejection evidence', async () => {
    const salt = await addUser(p, 'salt.okunur', { receiveOnly: true });
    const id = await send(ali, [salt.address], 'Sadece al');
    const client = await imapLogin(p, salt);
    try {
      await client.mailboxOpen('INBOX');
      const msg = await client.fetchOne('*', { source: true });
      expect(msg && msg.source && msg.source.length).toBeGreaterThan(0);
    } finally {
      await client.logout();
    }
    await settle(p);
    expect((await evidenceFor(p, { messageId: id })).some((e) => e.data.event === 'Retrieval')).toBe(true);

    const r = await submit(p, salt, signWithOpenssl(spec(salt.address, [ali.address], 'Cevap'), salt.certPath, salt.keyPath), { to: [ali.address] });
    expect(r.response).toMatch(/^550 5\.7\.1 .*receive-only/);
    await settle(p);
    const rejection = (await evidenceFor(p, { address: salt.address })).find((e) => e.data.event === 'Rejection');
    expect(rejection?.data.reasons?.[0]?.code).toBe(ReasonCode.PolicyViolation);
    expect(rejection?.data.reasons?.[0]?.details).toMatch(/receive-only/);
  });
});

describe('a legal entity and its operators', () => {
  const entity = `ornek-holding@${DOMAIN}`;
  let mehmet: Signer;
  let zeynep: Signer;
  const mehmetLogin = { address: 'mehmet.demir', password: 'mehmet-secret-1' };
  const zeynepLogin = { address: 'zeynep.kaya', password: 'zeynep-secret-1' };

  beforeAll(async () => {
    expect((await cli('account', 'create', entity, '--type', 'entity', '--name', 'Örnek Holding A.Ş.', '--mersis', '0123456789012345', '--password', 'entity-secret-1')).code).toBe(0);
    mehmet = await issue('Mehmet Demir', { address: 'mehmet.demir@example.org', nationalId: '22222222222' });
    zeynep = await issue('Zeynep Kaya', { address: 'zeynep@example.org', nationalId: '33333333333' });
    const a = await cli('operator', 'add', entity, mehmetLogin.address, '--password', mehmetLogin.password, '--cert', mehmet.certPath, '--by', 'staff:ayse');
    expect(a).toMatchObject({ code: 0 });
    expect((await cli('operator', 'add', entity, zeynepLogin.address, '--password', zeynepLogin.password, '--cert', zeynep.certPath)).code).toBe(0);
  });

  test('two operators send for the entity, each with their own certificate; each evidence names its operator', async () => {
    const ids: Record<string, string> = {};
    for (const [login, signer] of [
      [mehmetLogin, mehmet],
      [zeynepLogin, zeynep],
    ] as const) {
      const raw = signWithOpenssl(spec(entity, [ali.address], `Yetkili ${login.address}`), signer.certPath, signer.keyPath);
      const r = await submit(p, login, raw, { from: entity, to: [ali.address] });
      expect(r.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
      ids[login.address] = queuedId(r.response);
    }
    await settle(p);
    const acceptances = [];
    for (const [login, signer] of [
      [mehmetLogin.address, mehmet],
      [zeynepLogin.address, zeynep],
    ] as const) {
      const evs = await evidenceFor(p, { messageId: ids[login] });
      const acceptance = evs.find((e) => e.data.event === 'Acceptance')!;
      expect(acceptance.data.sender.address).toBe(entity);
      expect(acceptance.data.extension?.operator).toBe(login);
      expect(acceptance.data.sender.certificateDer?.equals(derOf(signer.certPem))).toBe(true);
      expect(acceptance.xml.toString('utf8')).toContain(`>${login}</kepd:operator>`);
      // Later evidence about the message repeats who sent it.
      expect(evs.find((e) => e.data.event === 'Delivery')?.data.extension?.operator).toBe(login);
      acceptances.push(acceptance);
    }
    const checks = await checkWithStockTools(p, acceptances[1]!.xml);
    expect(checks.schema).toMatch(/validates$/);
    expect(checks.xmlsec).toContain('SignedInfo References (ok/all): 2/2');
    expect(checks.ts).toContain('Verification: OK');
    // Both copies are in the entity's Sent folder, and the entity's Delil has both receipts.
    const sent = await mailbox(p, entity, 'Sent');
    expect(sent.map((m) => m.record.providerMessageId).sort()).toEqual(Object.values(ids).sort());
    const delil = await mailbox(p, entity, 'Delil');
    for (const a of acceptances) expect(delil.some((m) => m.bytes.includes(Buffer.from(a.record.id)))).toBe(true);
  });

  test("an operator may sign only with their own registered certificate, and sends only as the entity", async () => {
    const borrowed = signWithOpenssl(spec(entity, [ali.address], 'Başkasının imzası'), mehmet.certPath, mehmet.keyPath);
    const r = await submit(p, zeynepLogin, borrowed, { from: entity, to: [ali.address] });
    expect(r.response).toMatch(/^550 5\.7\.1 .*not the one registered for operator zeynep\.kaya/);
    // The holder's own certificate does not make an operator's message valid either.
    const holder = await issue('Ornek Holding', { address: entity });
    const asHolder = await submit(p, zeynepLogin, signWithOpenssl(spec(entity, [ali.address], 'Kurum imzası'), holder.certPath, holder.keyPath), {
      from: entity,
      to: [ali.address],
    });
    expect(asHolder.response).toMatch(/^550 5\.7\.1 /);
    const other = await submit(p, zeynepLogin, signWithOpenssl(spec(ali.address, [ali.address], 'Kendi adına'), zeynep.certPath, zeynep.keyPath), {
      from: ali.address,
      to: [ali.address],
    });
    expect(other.response).toMatch(/^553 5\.7\.1 /);
    await settle(p);
    const rejections = (await evidenceFor(p, { address: entity })).filter((e) => e.data.event === 'Rejection');
    expect(rejections.length).toBeGreaterThanOrEqual(3);
    expect(rejections.every((e) => e.data.extension?.operator === 'zeynep.kaya')).toBe(true);
    expect(rejections.some((e) => e.data.reasons?.[0]?.code === ReasonCode.InvalidUserSignature)).toBe(true);
  });

  test("an operator sees the entity's mailboxes over IMAP; reading a dispatch names them as the recipient's delegate", async () => {
    const id = await send(ali, [entity], 'Kuruma ihtarname');
    const client = await imapLogin(p, zeynepLogin);
    try {
      const boxes = (await client.list()).map((b) => b.path).sort();
      expect(boxes).toEqual(['Delil', 'Drafts', 'INBOX', 'Sent', 'Trash']);
      await client.mailboxOpen('INBOX');
      const uid = (await client.search({ all: true }, { uid: true })) as number[];
      const stored = (await mailbox(p, entity, 'INBOX')).find((m) => m.record.providerMessageId === id)!;
      expect(uid).toContain(stored.record.uid);
      const got = await client.fetchOne(String(stored.record.uid), { source: true }, { uid: true });
      expect(got && got.source && Buffer.compare(got.source, stored.bytes)).toBe(0);
    } finally {
      await client.logout();
    }
    await settle(p);
    const retrieval = (await evidenceFor(p, { messageId: id })).find((e) => e.data.event === 'Retrieval')!;
    const delegate = retrieval.data.recipientsDelegates?.[0];
    expect(delegate?.recipients).toEqual([1]);
    expect(delegate?.delegate.name).toContain('zeynep.kaya');
    expect(delegate?.delegate.certificateDer?.equals(derOf(zeynep.certPem))).toBe(true);
    const checks = await checkWithStockTools(p, retrieval.xml);
    expect(checks.schema).toMatch(/validates$/);
    expect(checks.xmlsec).toContain('OK');
  });

  test("removing an operator (another process) cuts their open IMAP session at once and ends every login; the login is never reused", async () => {
    const service = new SubmissionService(p.daemon.runtime);
    const smtpUser = await service.login(mehmetLogin.address, mehmetLogin.password);
    expect(smtpUser).toMatchObject({ address: entity, operator: 'mehmet.demir' });

    const client = await imapLogin(p, mehmetLogin);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await client.mailboxOpen('INBOX');
    const removed = await spawnCli('operator', 'remove', entity, 'Mehmet.Demir', '--by', 'staff:ayse');
    expect(removed).toMatchObject({ code: 0 });
    expect(removed.out).toContain('operator mehmet.demir removed');
    await within(closed, 10_000, 'the removed operator\'s IMAP session to be closed');
    expect(client.usable).toBe(false);

    await expect(imapLogin(p, mehmetLogin)).rejects.toThrow();
    const r = await submit(p, mehmetLogin, signWithOpenssl(spec(entity, [ali.address], 'Eski yetkili'), mehmet.certPath, mehmet.keyPath), {
      from: entity,
      to: [ali.address],
    });
    expect(r.response).toMatch(/^535 /);
    // An SMTP session authenticated before the removal can no longer send either.
    await expect(service.checkMailFrom(smtpUser!, entity)).rejects.toThrow(/mehmet\.demir is no longer authorised/);
    // The other operator is untouched.
    const still = await imapLogin(p, zeynepLogin);
    await still.logout();

    const again = await cli('operator', 'add', entity, 'mehmet.demir', '--password', 'new-secret-123', '--cert', mehmet.certPath);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/never reused/);
    const shown = JSON.parse((await cli('account', 'show', entity, '--json')).out) as {
      operators: Array<{ login: string; removedAt: string | null; certificateSha256: string }>;
      history: Array<{ event: string; by: string; details: { login?: string } | null }>;
    };
    expect(shown.operators.map((o) => [o.login, o.removedAt === null])).toEqual([
      ['mehmet.demir', false],
      ['zeynep.kaya', true],
    ]);
    expect(shown.operators[0]!.certificateSha256).toBe(createHash('sha256').update(derOf(mehmet.certPem)).digest('hex'));
    expect(shown.history.filter((h) => h.event.startsWith('operator-')).map((h) => `${h.event} ${h.details?.login} by ${h.by}`)).toEqual([
      'operator-added mehmet.demir by staff:ayse',
      expect.stringMatching(/^operator-added zeynep\.kaya by cli:/),
      'operator-removed mehmet.demir by staff:ayse',
    ]);
  });
});

describe('lifecycle: awaiting activation, active, closed, reopened', () => {
  test('an account awaiting activation cannot log in or receive; a holder-signed agreement activates it', async () => {
    const address = `yeni.uye@${DOMAIN}`;
    const password = 'yeni-uye-secret-1';
    expect((await cli('account', 'create', address, '--pending', '--national-id', '44444444444', '--password', password)).code).toBe(0);
    await expect(imapLogin(p, { address, password })).rejects.toThrow();

    const id = await send(ali, [address], 'Henüz açılmamış');
    const nonDelivery = (await evidenceFor(p, { messageId: id })).find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient')!;
    expect(nonDelivery.data.event).toBe('NonDelivery');
    expect(nonDelivery.data.reasons?.[0]?.details).toMatch(/not activated/);

    const agreementText = { from: address, to: [`kep@${DOMAIN}`], subject: 'KEP hesabı sözleşmesi', body: `${address} hesabının açılmasını kabul ediyorum.\r\n` };
    const stranger = await issue('Baska Biri', { address: `baska.biri@${DOMAIN}`, nationalId: '55555555555' });
    const wrong = tmp.file('wrong-agreement.eml', signWithOpenssl(agreementText, stranger.certPath, stranger.keyPath));
    const refused = await cli('account', 'activate', address, '--agreement', wrong);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/not signed by the holder of <yeni\.uye@kep\.test>.*national id/);

    const holder = await issue('Yeni Uye', { address: 'yeni@example.org', nationalId: '44444444444' });
    const agreement = signWithOpenssl(agreementText, holder.certPath, holder.keyPath);
    const file = tmp.file('agreement.eml', agreement);
    const ok = await cli('account', 'activate', address, '--agreement', file, '--by', 'staff:ayse');
    expect(ok).toMatchObject({ code: 0, out: `activated ${address}\n` });
    expect((await cli('account', 'activate', address, '--agreement', file)).err).toMatch(/only an account awaiting activation/);

    const client = await imapLogin(p, { address, password });
    await client.logout();
    const shown = JSON.parse((await cli('account', 'show', address, '--json')).out) as { state: string; history: Array<{ event: string; by: string; documentSha256: string | null }> };
    expect(shown.state).toBe('active');
    const activated = shown.history.find((h) => h.event === 'activated')!;
    expect(activated.by).toBe('staff:ayse');
    expect(activated.documentSha256).toBe(createHash('sha256').update(agreement).digest('hex'));
  });

  test('closed: no sending, incoming mail gets non-delivery evidence, read-only IMAP for the period, then no login; evidence stays; reopening restores it', async () => {
    const kapali = await addUser(p, 'kapali.hesap');
    const before = await send(ali, [kapali.address], 'Kapanmadan önce');
    await send(kapali, [ali.address], 'Giden');
    const closed = await cli('account', 'close', kapali.address);
    expect(closed.code).toBe(0);
    expect(closed.out).toMatch(/read-only access until /);
    const evidenceBefore = (await evidenceFor(p, { address: kapali.address })).length;
    const inboxBefore = (await mailbox(p, kapali.address, 'INBOX')).length;

    // Incoming: accepted from the sender, then a NonDelivery evidence for the closed recipient.
    const incoming = await submit(p, ali, signWithOpenssl(spec(ali.address, [kapali.address], 'Kapalı hesaba'), ali.certPath, ali.keyPath), {
      to: [kapali.address],
    });
    expect(incoming.response).toMatch(/^250 /);
    await settle(p);
    const nd = (await evidenceFor(p, { messageId: queuedId(incoming.response) })).find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient')!;
    expect(nd.data.event).toBe('NonDelivery');
    expect(nd.data.reasons?.[0]).toMatchObject({ code: ReasonCode.UnknownRecipient, details: expect.stringMatching(/closed KEP account/) });
    expect(nd.record.accountId).toBe((await p.daemon.runtime.store.accounts.getByAddress(ali.address))!.id);
    expect(await mailbox(p, kapali.address, 'INBOX')).toHaveLength(inboxBefore);

    // Sending: the holder still authenticates, MAIL FROM is refused with a rejection evidence.
    const out = await submit(p, kapali, signWithOpenssl(spec(kapali.address, [ali.address], 'Kapalıyken'), kapali.certPath, kapali.keyPath), {
      to: [ali.address],
    });
    expect(out.response).toMatch(/^550 5\.7\.1 .*closed and cannot send/);
    await settle(p);
    expect((await evidenceFor(p, { address: kapali.address })).filter((e) => e.data.event === 'Rejection')).toHaveLength(1);

    // Reading: allowed, and nothing can be changed (not even \Seen).
    const imap = await RawImap.open();
    try {
      expect(await imap.command(`LOGIN ${kapali.address} ${kapali.password}`)).toMatch(/^t1 OK/m);
      expect(await imap.command('SELECT INBOX')).toMatch(/^t2 OK/m);
      const body = await imap.command('FETCH 1 (FLAGS BODY[])');
      expect(body).toContain(before);
      expect(body).not.toMatch(/\\Seen/);
      for (const [cmd, literal] of [
        ['APPEND INBOX', Buffer.from('Subject: x\r\n\r\ny\r\n')],
        ['STORE 1 +FLAGS (\\Deleted)', undefined],
        ['EXPUNGE', undefined],
        ['COPY 1 Trash', undefined],
        ['MOVE 1 Trash', undefined],
        ['CREATE Arsiv', undefined],
        ['RENAME Trash Cop', undefined],
        ['DELETE Drafts', undefined],
      ] as const) {
        const answer = await imap.command(cmd, literal);
        expect(answer).toMatch(/^\* NO \[CANNOT\] KEP account <kapali\.hesap@kep\.test> is closed: its mailboxes are read-only/m);
        expect(answer).toMatch(/^t\d+ NO/m);
      }
      const after = await imap.command('FETCH 1:* (FLAGS)');
      expect(after).not.toMatch(/\\Seen|\\Deleted/);
      const quota = await imap.command('GETQUOTAROOT INBOX');
      expect(quota).toMatch(/^\* QUOTA .*\(STORAGE \d+ \d+\)/m);
    } finally {
      imap.close();
    }
    expect((await mailbox(p, kapali.address, 'INBOX')).map((m) => m.record.providerMessageId)).toContain(before);

    // The read-only period ends with the (injected) clock: then no login at all; evidence stays.
    try {
      clockOffsetMs = 89 * DAY;
      (await imapLogin(p, kapali)).close();
      clockOffsetMs = 91 * DAY;
      await expect(imapLogin(p, kapali)).rejects.toThrow();
      const late = await submit(p, kapali, signWithOpenssl(spec(kapali.address, [ali.address], 'Çok geç'), kapali.certPath, kapali.keyPath), {
        to: [ali.address],
      });
      expect(late.response).toMatch(/^535 /);
    } finally {
      clockOffsetMs = 0;
    }
    expect((await evidenceFor(p, { address: kapali.address })).length).toBe(evidenceBefore + 1);

    // Reopened by its holder: the same address receives again.
    expect((await cli('account', 'reopen', kapali.address)).code).toBe(0);
    const back = await send(ali, [kapali.address], 'Yeniden açıldı');
    expect((await evidenceFor(p, { messageId: back })).find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient')?.data.event).toBe('Delivery');
    const shown = JSON.parse((await cli('account', 'show', kapali.address, '--json')).out) as { history: Array<{ event: string }>; closedAt: string | null };
    expect(shown.history.map((h) => h.event)).toEqual(['created', 'closed', 'reopened']);
    expect(shown.closedAt).toBeNull();
  });
});

describe('quota', () => {
  test('IMAP reports usage; over quota the account cannot send but still receives; extra space and deleting let it send again', async () => {
    const dolu = await addUser(p, 'dolu.kutu');
    await send(ali, [dolu.address], 'Büyükçe');
    expect((await cli('account', 'quota', dolu.address, '4096')).out).toMatch(/quota of dolu\.kutu@kep\.test: 4096 bytes/);

    const usage = async (): Promise<{ used: number; limit: number }> => {
      const imap = await RawImap.open();
      try {
        await imap.command(`LOGIN ${dolu.address} ${dolu.password}`);
        const m = /\(STORAGE (\d+) (\d+)\)/.exec(await imap.command('GETQUOTAROOT INBOX'));
        return { used: Number(m?.[1]), limit: Number(m?.[2]) };
      } finally {
        imap.close();
      }
    };
    const full = await usage();
    expect(full.limit).toBe(4);
    expect(full.used).toBeGreaterThan(full.limit);

    const refused = await submit(p, dolu, signWithOpenssl(spec(dolu.address, [ali.address], 'Dolu'), dolu.certPath, dolu.keyPath), { to: [ali.address] });
    expect(refused.response).toMatch(/^552 5\.2\.2 .*full/);
    const still = await send(ali, [dolu.address], 'Yine de gelir');
    expect((await evidenceFor(p, { messageId: still })).find((e) => e.data.type === 'DeliveryNonDeliveryToRecipient')?.data.event).toBe('Delivery');

    expect((await cli('account', 'quota', dolu.address, '+1MB')).out).toMatch(/quota of dolu\.kutu@kep\.test: 1052672 bytes/);
    await send(dolu, [ali.address], 'Ek alan');

    // Deleting frees the space at once.
    const beforeDelete = await usage();
    const client = await imapLogin(p, dolu);
    try {
      await client.mailboxOpen('INBOX');
      await client.messageDelete('1:*');
    } finally {
      await client.logout();
    }
    const afterDelete = await usage();
    expect(afterDelete.used).toBeLessThan(beforeDelete.used);
    const history = JSON.parse((await cli('account', 'show', dolu.address, '--json')).out) as { history: Array<{ event: string; details: unknown }> };
    expect(history.history.filter((h) => h.event === 'quota-changed').map((h) => h.details)).toEqual([
      { from: 104857600, to: 4096 },
      { from: 4096, to: 1052672 },
    ]);
  });
});

describe('the KEP directory', () => {
  beforeAll(async () => {
    for (const args of [
      ['account', 'create', `acik.kisi@${DOMAIN}`, '--password', 'long-enough-1', '--name', 'Açık Kişi', '--listed'],
      ['account', 'create', `gizli.kisi@${DOMAIN}`, '--password', 'long-enough-1', '--name', 'Gizli Kişi', '--national-id', '66666666666'],
      ['account', 'create', `sonra.acik@${DOMAIN}`, '--password', 'long-enough-1', '--name', 'Sonra Kişi'],
      ['account', 'create', `kapanan-sirket@${DOMAIN}`, '--type', 'entity', '--password', 'long-enough-1', '--name', 'Kapanan Kişi Ltd.'],
      ['account', 'close', `kapanan-sirket@${DOMAIN}`],
      ['directory', 'opt-in', `sonra.acik@${DOMAIN}`],
    ]) {
      const r = await cli(...args);
      expect(r.err).toBe('');
    }
  });

  test('entities are always listed; persons only after opting in; lookups by address, name (any case and spelling) and MERSIS', async () => {
    const byName = await cli('directory', 'lookup', 'ÖRNEK', '--json');
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.out)).toEqual([{ address: `ornek-holding@${DOMAIN}`, type: 'entity', name: 'Örnek Holding A.Ş.', mersis: '0123456789012345' }]);
    expect((await cli('directory', 'lookup', '0123456789012345')).out).toBe(`ornek-holding@${DOMAIN}\tentity\tÖrnek Holding A.Ş.\tMERSIS 0123456789012345\n`);
    const people = JSON.parse((await cli('directory', 'lookup', 'kisi', '--json')).out) as Array<{ address: string }>;
    expect(people.map((e) => e.address)).toEqual([`acik.kisi@${DOMAIN}`, `sonra.acik@${DOMAIN}`]);
    expect((await cli('directory', 'lookup', `acik.kisi@${DOMAIN}`)).code).toBe(0);
    const optOut = await cli('directory', 'opt-out', `ornek-holding@${DOMAIN}`);
    expect(optOut.code).toBe(2);
    expect(optOut.err).toMatch(/always listed/);
  });

  test('an unlisted person, a closed account and an address nobody holds answer exactly alike', async () => {
    const hidden = await cli('directory', 'lookup', `gizli.kisi@${DOMAIN}`);
    const closed = await cli('directory', 'lookup', `kapanan-sirket@${DOMAIN}`);
    const nobody = await cli('directory', 'lookup', `hic.kimse@${DOMAIN}`);
    expect(hidden).toEqual(nobody);
    expect(closed).toEqual(nobody);
    expect(nobody).toMatchObject({ code: 1, out: 'no listed KEP account matches\n' });
    expect((await cli('directory', 'lookup', 'Gizli', '--json')).out).toBe('[]\n');
    const byId = await cli('directory', 'lookup', '66666666666');
    expect(byId.code).toBe(2);
    expect(byId.err).toMatch(/national ids of persons are not searchable/);

    const list = tmp.file(
      'check.txt',
      [`acik.kisi@${DOMAIN}`, `gizli.kisi@${DOMAIN}`, `hic.kimse@${DOMAIN}`, `kapanan-sirket@${DOMAIN}`, `ornek-holding@${DOMAIN}`, 'ayşe@kep.test', '', 'not-an-address'].join('\n'),
    );
    const check = await cli('directory', 'check', list);
    expect(check.code).toBe(0);
    const lines = check.out.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `acik.kisi@${DOMAIN}\tlisted`,
      `gizli.kisi@${DOMAIN}\tnot listed`,
      `hic.kimse@${DOMAIN}\tnot listed`,
      `kapanan-sirket@${DOMAIN}\tnot listed`,
      `ornek-holding@${DOMAIN}\tlisted`,
    ]);
    expect(lines[5]).toMatch(/^ayşe@kep\.test\tinvalid\t.*did you mean "ayse@kep\.test"/);
    expect(lines[6]).toMatch(/^not-an-address\tinvalid\t/);
    const json = JSON.parse((await cli('directory', 'check', list, '--json')).out) as Array<Record<string, unknown>>;
    expect(json[1]).toEqual({ input: `gizli.kisi@${DOMAIN}`, status: 'not listed' });
    expect(json[1]).toEqual({ ...json[2], input: `gizli.kisi@${DOMAIN}` });
    // Nothing about the hidden person leaks anywhere in the output.
    expect(JSON.stringify(json)).not.toMatch(/Gizli|66666666666/);

    // The binary (another process, another store connection) answers the same.
    const spawned = await spawnCli('directory', 'check', list);
    expect(spawned).toEqual({ code: 0, out: check.out, err: '' });
  });
});
