/**
 * One account cannot reach another's mail or evidence, through IMAP (another user's folder
 * names, namespaces, UID guessing, FETCH/COPY/MOVE/APPEND/CREATE/RENAME/DELETE across
 * accounts) or SMTP (sending as someone else: MAIL FROM, From header tricks, another person's
 * valid certificate) — and transport security: TLS 1.0/1.1 refused on all four ports, no
 * credentials before TLS. The daemon, clients (raw sockets, imapflow, nodemailer, openssl
 * s_client) and stores are real.
 */
import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { ReasonCode } from '../../src/evidence/reasons';
import { addUser, DOMAIN, removeDir, settle, startProvider, submit, type TestProvider, type TestUser } from '../support/e2e';
import { evidenceFor, header, mailbox } from '../support/e2e-inspect';
import { tool } from '../support/evidence-fixtures';
import { LineSocket } from '../support/line-socket';
import { crlf, signWithOpenssl, topHeaders, innerEntity, type OriginalSpec } from '../support/smime';

let p: TestProvider;
let ali: TestUser;
let ayse: TestUser;
let mehmet: TestUser;
/** Words only ayse's mail contains. */
const AYSE_SECRET = `gizli-${randomBytes(6).toString('hex')}`;
const AYSE_DRAFT = `taslak-${randomBytes(6).toString('hex')}`;

function spec(from: TestUser, to: TestUser[], extra: Partial<OriginalSpec> = {}): OriginalSpec {
  return { from: from.address, to: to.map((u) => u.address), subject: `Yazı ${randomBytes(3).toString('hex')}`, ...extra };
}

async function client(user: TestUser): Promise<ImapFlow> {
  const c = new ImapFlow({ host: '127.0.0.1', port: p.daemon.ports.imaps, secure: true, auth: { user: user.address, pass: user.password }, tls: { ca: [p.caPem], servername: 'localhost' }, logger: false });
  await c.connect();
  return c;
}

beforeAll(async () => {
  p = await startProvider();
  [ali, ayse, mehmet] = await Promise.all([addUser(p, 'ali.veli'), addUser(p, 'ayse.kaya'), addUser(p, 'mehmet.oz')]);
  // ayse → mehmet (ayse's Delil gets her evidence), mehmet → ayse (ayse's INBOX gets a dispatch), ali → mehmet.
  for (const [from, to, body] of [
    [ayse, mehmet, `${AYSE_SECRET}\r\n`],
    [mehmet, ayse, `${AYSE_SECRET} yanıt\r\n`],
    [ali, mehmet, 'ali yazıyor\r\n'],
  ] as const) {
    const r = await submit(p, from, signWithOpenssl(spec(from, [to], { body, subject: from === ali ? 'ali' : AYSE_SECRET }), from.certPath, from.keyPath), { to: [to.address] });
    expect(r.response).toMatch(/^250 /);
  }
  await settle(p);
  const c = await client(ayse);
  try {
    await c.mailboxCreate('Gizli');
    await c.append('Gizli', `From: ${ayse.address}\r\nSubject: ${AYSE_DRAFT}\r\n\r\n${AYSE_DRAFT}\r\n`);
    await c.append('Drafts', `From: ${ayse.address}\r\nSubject: ${AYSE_DRAFT}\r\n\r\n${AYSE_DRAFT}\r\n`);
  } finally {
    await c.logout();
  }
}, 120_000);

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
});

/** ayse's whole mailbox state as the store has it (paths, uids, flags, sizes). */
async function ayseState(): Promise<string> {
  const store = p.daemon.runtime.store;
  const account = (await store.accounts.getByAddress(ayse.address))!;
  const out: string[] = [];
  for (const box of await store.mailboxes.list(account.id)) {
    const msgs = await store.messages.list(box.id);
    out.push(`${box.path}:${box.uidNext}:${msgs.map((m) => `${m.uid}/${m.flags.join(',')}/${m.size}`).join(';')}`);
  }
  return out.sort().join('\n');
}

// ---------------------------------------------------------------- raw IMAP session of ali

class Session {
  private n = 0;
  /** Everything the server sent in this session. */
  transcript = '';
  private constructor(private readonly s: LineSocket) {}

  static async login(user: TestUser): Promise<Session> {
    const s = await LineSocket.connect(p.daemon.ports.imaps, { tls: { ca: p.caPem } });
    const session = new Session(s);
    await s.readLine(5000);
    const r = await session.run(`LOGIN ${user.address} "${user.password}"`);
    if (!/ OK /.test(r.tagged)) throw new Error(`login failed: ${r.tagged}`);
    return session;
  }

  /** Runs one command; literals in the response are read as such. */
  async run(command: string): Promise<{ tagged: string; lines: string[] }> {
    const tag = `I${++this.n}`;
    this.s.write(`${tag} ${command}\r\n`);
    const lines: string[] = [];
    for (;;) {
      let line = await this.s.readLine(10_000);
      if (line === 'timeout' || line === 'closed') throw new Error(`no answer to ${command}: ${line}`);
      let m = /\{(\d+)\}$/.exec(line);
      while (m) {
        const bytes = await this.s.readBytes(Number(m[1]), 10_000);
        if (typeof bytes === 'string') throw new Error(`literal cut: ${bytes}`);
        const rest = await this.s.readLine(10_000);
        if (typeof rest !== 'string' || rest === 'timeout' || rest === 'closed') throw new Error('response cut');
        line = `${line}${bytes.toString('latin1')}${rest}`;
        m = /\{(\d+)\}$/.exec(rest);
      }
      this.transcript += `${line}\n`;
      if (line.startsWith(`${tag} `)) return { tagged: line, lines };
      lines.push(line);
    }
  }

  close(): void {
    this.s.destroy();
  }
}

const FOREIGN_NAMES = [
  'Gizli',
  '"Gizli"',
  `"${'ayse.kaya'}@${DOMAIN}/INBOX"`,
  `"${'ayse.kaya'}/INBOX"`,
  '"Other Users/ayse.kaya/INBOX"',
  '"#shared/INBOX"',
  '"#public/Gizli"',
  '"~ayse.kaya/Delil"',
  '"../ayse.kaya/Delil"',
  '"INBOX/../../ayse.kaya/Gizli"',
  '"/Gizli"',
  '"gizli"',
];

describe('IMAP: another account is out of reach', () => {
  let s: Session;
  let before: string;
  beforeAll(async () => {
    before = await ayseState();
    s = await Session.login(ali);
  });
  afterAll(() => s?.close());

  test("SELECT, EXAMINE and STATUS of another user's folder names, ids and namespaces fail", async () => {
    const store = p.daemon.runtime.store;
    const ayseAccount = (await store.accounts.getByAddress(ayse.address))!;
    const ayseInbox = (await store.mailboxes.get(ayseAccount.id, 'INBOX'))!;
    for (const name of [...FOREIGN_NAMES, `"${ayseInbox.id}"`, `"${ayseAccount.id}"`]) {
      expect((await s.run(`SELECT ${name}`)).tagged).toMatch(/^I\d+ NO /);
      expect((await s.run(`EXAMINE ${name}`)).tagged).toMatch(/^I\d+ NO /);
      expect((await s.run(`STATUS ${name} (MESSAGES UIDNEXT UNSEEN)`)).tagged).toMatch(/^I\d+ NO /);
    }
  });

  test('LIST and LSUB with any reference or pattern show only the own five folders; NAMESPACE has no shared or other-users namespace', async () => {
    for (const cmd of ['LIST "" "*"', 'LIST "" "%"', `LIST "ayse.kaya@${DOMAIN}/" "*"`, 'LIST "#shared/" "*"', 'LIST "Other Users/" "*"', 'LIST "~ayse.kaya" "*"', 'LIST "" "*Gizli*"', 'LSUB "" "*"', 'LIST (SPECIAL-USE) "" "*"']) {
      const r = await s.run(cmd);
      expect(r.tagged).toMatch(/ OK /);
      const names = r.lines.map((l) => /"\/" "?([^"]*)"?$/.exec(l)?.[1]).filter(Boolean);
      for (const n of names) expect(['INBOX', 'Sent', 'Drafts', 'Trash', 'Delil']).toContain(n);
    }
    const ns = await s.run('NAMESPACE');
    expect(ns.lines).toEqual(['* NAMESPACE (("" "/")) NIL NIL']);
  });

  test('guessing UIDs and sequence numbers in every own folder yields only own messages', async () => {
    for (const box of ['INBOX', 'Sent', 'Drafts', 'Trash', 'Delil']) {
      expect((await s.run(`SELECT ${box}`)).tagged).toMatch(/ OK /);
      await s.run('FETCH 1:* (UID FLAGS BODY.PEEK[])');
      await s.run('UID FETCH 1:4294967295 (UID RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT])');
      for (const uid of [1, 2, 3, 4, 5, 10, 100, 4294967295]) await s.run(`UID FETCH ${uid} (BODY.PEEK[] BINARY.PEEK[1])`);
      await s.run('UID SEARCH ALL');
      await s.run(`SEARCH TEXT "${AYSE_SECRET}"`);
    }
    expect(s.transcript).not.toContain(AYSE_SECRET);
    expect(s.transcript).not.toContain(AYSE_DRAFT);
  });

  test("COPY, MOVE and APPEND into another user's folder names land nowhere near them; CREATE, RENAME and DELETE act on the own account only", async () => {
    expect((await s.run('SELECT Sent')).tagged).toMatch(/ OK /);
    for (const name of FOREIGN_NAMES) {
      expect((await s.run(`UID COPY 1:* ${name}`)).tagged).toMatch(/ NO /);
      expect((await s.run(`UID MOVE 1:* ${name}`)).tagged).toMatch(/ NO /);
      expect((await s.run(`APPEND ${name} {11}\r\nSubject: x\r\n`)).tagged).toMatch(/ (NO|BAD) /);
    }
    expect((await s.run('CREATE Gizli')).tagged).toMatch(/ OK /);
    expect((await s.run('STATUS Gizli (MESSAGES)')).lines).toEqual(['* STATUS Gizli (MESSAGES 0)']);
    expect((await s.run('RENAME Gizli Gizli2')).tagged).toMatch(/ OK /);
    expect((await s.run('DELETE Gizli2')).tagged).toMatch(/ OK /);
    expect((await s.run('DELETE Gizli')).tagged).toMatch(/ NO /);
    expect(await ayseState()).toBe(before);
  });

  test("no retrieval evidence is ever issued to ayse's senders by ali's reading", async () => {
    await settle(p);
    const retrievals = (await evidenceFor(p, { address: mehmet.address })).filter((e) => e.data.event === 'Retrieval');
    expect(retrievals).toEqual([]);
  });
});

describe('evidence (Delil) stays with its owner', () => {
  test("ali's Delil holds only evidence about what ali sent; none of ayse's or mehmet's evidence reaches ali in any folder", async () => {
    await settle(p);
    const aliEvidence = new Set((await evidenceFor(p, { address: ali.address })).map((e) => e.record.id));
    const others = new Set([...(await evidenceFor(p, { address: ayse.address })), ...(await evidenceFor(p, { address: mehmet.address }))].map((e) => e.record.id));
    expect(aliEvidence.size).toBeGreaterThan(0);
    expect(others.size).toBeGreaterThan(0);
    const c = await client(ali);
    const seen: string[] = [];
    try {
      for (const box of await c.list()) {
        const lock = await c.getMailboxLock(box.path);
        try {
          for await (const m of c.fetch('1:*', { source: true }, { uid: false })) {
            const source = m.source ?? Buffer.alloc(0);
            const id = header(source, 'X-REM-Evidence-Identifier');
            if (id) seen.push(id);
            for (const other of others) expect(source.includes(other)).toBe(false);
          }
        } catch (err) {
          if (!/empty|nothing/i.test(String(err))) throw err;
        } finally {
          lock.release();
        }
      }
    } finally {
      await c.logout();
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const id of seen) expect(aliEvidence.has(id)).toBe(true);
  });

  test("sending as ayse yields evidence for ali (the authenticated sender) only: ayse's Delil does not change", async () => {
    await settle(p);
    const ayseBefore = (await evidenceFor(p, { address: ayse.address })).length;
    const ayseDelil = (await mailbox(p, ayse.address, 'Delil')).length;
    const r = await submit(p, ali, signWithOpenssl(spec(ayse, [mehmet]), ayse.certPath, ayse.keyPath), { from: ayse.address, to: [mehmet.address] });
    expect(r.response).toMatch(/^553 5\.7\.1 /);
    await settle(p);
    expect((await evidenceFor(p, { address: ayse.address })).length).toBe(ayseBefore);
    expect((await mailbox(p, ayse.address, 'Delil')).length).toBe(ayseDelil);
  });
});

// ---------------------------------------------------------------- SMTP: sending as someone else

describe('SMTP: nobody sends as someone else', () => {
  async function refused(raw: Buffer, from: string, reply: RegExp, reason: ReasonCode): Promise<void> {
    await settle(p);
    const r = await submit(p, ali, raw, { from, to: [mehmet.address] });
    expect(r.response).toMatch(reply);
    await settle(p);
    const newest = (await evidenceFor(p, { address: ali.address })).find((e) => e.data.event === 'Rejection');
    expect(newest?.data.reasons?.[0]?.code).toBe(reason);
    expect((await mailbox(p, mehmet.address, 'INBOX')).some((m) => m.bytes.includes(raw.subarray(raw.length - 200)))).toBe(false);
  }

  test.each([
    ['ayse.kaya@kep.test'],
    ['AYSE.KAYA@KEP.TEST'],
    ['ayse.kaya@kep.test.'],
    ['"ayse.kaya"@kep.test'],
    ['ali.veli@kep.test.evil.example'],
    ['ali.veli+x@kep.test'],
  ])('MAIL FROM:<%s> while logged in as ali → refused at MAIL FROM (553 5.7.1, or 501 for bad syntax)', async (from) => {
    const r = await submit(p, ali, signWithOpenssl(spec(ali, [mehmet]), ali.certPath, ali.keyPath), { from, to: [mehmet.address] });
    expect(r.response).toMatch(/^(553 5\.7\.1|501 5\.1\.7) /);
    expect(r.ok).toBe(false);
  });

  test('From header of another person (alone, with a display name, as a second mailbox or a second From) → refused', async () => {
    const variants: Array<[string[], RegExp]> = [
      [[`From: ${ayse.address}`], /^550 5\.7\.1 From: <ayse\.kaya@kep\.test> must be the sender/],
      [[`From: "${ali.address}" <${ayse.address}>`], /^550 5\.7\.1 /],
      [[`From: ${ali.address}, ${ayse.address}`], /^550 5\.6\.0 Malformed message: From must name exactly one mailbox/],
      [[`From: ${ali.address}`, `From: ${ayse.address}`], /^550 5\.6\.0 Malformed message: more than one From header/],
    ];
    for (const [fromLines, reply] of variants) {
      const s = spec(ali, [mehmet]);
      const headers = topHeaders(s).replace(/^From: .*\r\n/m, fromLines.map((l) => `${l}\r\n`).join(''));
      const signed = signWithOpenssl(s, ali.certPath, ali.keyPath);
      const body = signed.subarray(Buffer.byteLength(topHeaders(s)));
      const raw = Buffer.concat([Buffer.from(headers), body]);
      await refused(raw, ali.address, reply, reply.source.includes('5\\.6\\.0') ? ReasonCode.InvalidMessageFormat : ReasonCode.PolicyViolation);
    }
  });

  test("signed with another person's valid certificate (everything else in ali's name) → 550 5.7.1, InvalidUserSignature", async () => {
    await refused(signWithOpenssl(spec(ali, [mehmet]), ayse.certPath, ayse.keyPath), ali.address, /^550 5\.7\.1 Message is not signed by the sender/, ReasonCode.InvalidUserSignature);
  });

  test("the right address with another account's password, or another account's address with ali's password → 535 5.7.8", async () => {
    const raw = signWithOpenssl(spec(ayse, [mehmet]), ayse.certPath, ayse.keyPath);
    expect((await submit(p, { address: ayse.address, password: ali.password }, raw, { to: [mehmet.address] })).response).toMatch(/^535 5\.7\.8 /);
    expect((await submit(p, { address: ` ${ayse.address.toUpperCase()} `, password: ali.password }, raw, { to: [mehmet.address] })).response).toMatch(/^535 5\.7\.8 /);
    // An authzid naming ayse does not make ali's credentials hers.
    const s = await LineSocket.connect(p.daemon.ports.submissions, { tls: { ca: p.caPem } });
    try {
      await s.readLine(5000);
      s.write('EHLO t.test\r\n');
      for (let l = await s.readLine(5000); typeof l === 'string' && /^250-/.test(l); l = await s.readLine(5000));
      s.write(`AUTH PLAIN ${Buffer.from(`${ayse.address}\u0000${ali.address}\u0000${ali.password}`).toString('base64')}\r\n`);
      const reply = await s.readLine(5000);
      if (typeof reply === 'string' && reply.startsWith('235')) {
        s.write(`MAIL FROM:<${ayse.address}>\r\n`);
        expect(await s.readLine(5000)).toMatch(/^553 5\.7\.1 /);
      } else {
        expect(reply).toMatch(/^5\d\d /);
      }
    } finally {
      s.destroy();
    }
  });
});

// ---------------------------------------------------------------- transport

describe('transport: TLS 1.2 or newer, no credentials in clear', () => {
  const legacy = { minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.1' as const };

  async function handshake(port: number, maxVersion: 'TLSv1.1' | 'TLSv1.2', starttls?: 'smtp' | 'imap'): Promise<string> {
    const tls = await import('node:tls');
    const net = await import('node:net');
    let socket: import('node:net').Socket | undefined;
    if (starttls) {
      socket = net.connect({ host: '127.0.0.1', port });
      await new Promise<void>((r) => socket!.once('connect', () => r()));
      const read = (): Promise<string> => new Promise((r) => socket!.once('data', (d: Buffer) => r(d.toString())));
      await read();
      socket.write(starttls === 'smtp' ? 'EHLO t.test\r\n' : 'a STARTTLS\r\n');
      let answer = await read();
      if (starttls === 'smtp') {
        socket.write('STARTTLS\r\n');
        answer = await read();
      }
      if (!/^(220 |a OK)/m.test(answer)) throw new Error(`STARTTLS refused: ${answer}`);
    }
    return new Promise((resolve) => {
      // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all: the refusal must come from the server.
      const c = tls.connect({ host: '127.0.0.1', port, socket, ca: [p.caPem], servername: 'localhost', ciphers: 'DEFAULT@SECLEVEL=0', minVersion: legacy.minVersion, maxVersion });
      c.once('secureConnect', () => {
        resolve(`ok ${c.getProtocol()}`);
        c.destroy();
      });
      c.once('error', (err) => {
        resolve(`error ${err.message}`);
        c.destroy();
      });
    });
  }

  test('node tls: TLS 1.1 refused and TLS 1.2 accepted on SMTP 465 and 587 (STARTTLS) and IMAP 993 and 143 (STARTTLS)', async () => {
    const ports: Array<[number, 'smtp' | 'imap' | undefined]> = [
      [p.daemon.ports.submissions, undefined],
      [p.daemon.ports.submission, 'smtp'],
      [p.daemon.ports.imaps, undefined],
      [p.daemon.ports.imap, 'imap'],
    ];
    for (const [port, starttls] of ports) {
      expect(await handshake(port, 'TLSv1.1', starttls)).toMatch(/^error .*(protocol version|unsupported protocol)/i);
      expect(await handshake(port, 'TLSv1.2', starttls)).toBe('ok TLSv1.2');
    }
  });

  test('openssl s_client: -tls1 and -tls1_1 fail, -tls1_2 succeeds, on all four ports', async () => {
    const targets: Array<[number, string[]]> = [
      [p.daemon.ports.submissions, []],
      [p.daemon.ports.submission, ['-starttls', 'smtp']],
      [p.daemon.ports.imaps, []],
      [p.daemon.ports.imap, ['-starttls', 'imap']],
    ];
    for (const [port, extra] of targets) {
      for (const version of ['-tls1', '-tls1_1']) {
        const r = await tool('sh', ['-c', `echo | openssl s_client -connect 127.0.0.1:${port} ${extra.join(' ')} ${version} -cipher 'DEFAULT@SECLEVEL=0' 2>&1`]);
        expect(r.stdout).toMatch(/Cipher is \(NONE\)/);
        expect(r.stdout).toMatch(/alert protocol version|no protocols available|wrong version number|unsupported protocol/i);
      }
      const ok = await tool('sh', ['-c', `echo | openssl s_client -connect 127.0.0.1:${port} ${extra.join(' ')} -tls1_2 -CAfile ${p.caPath} -servername localhost 2>&1`]);
      expect(ok.stdout).toMatch(/Protocol\s*:\s*TLSv1\.2/);
      expect(ok.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    }
  });

  test('no AUTH before TLS on 587 (not offered, refused with 538) and no LOGIN/AUTHENTICATE before STARTTLS on 143', async () => {
    const smtp = await LineSocket.connect(p.daemon.ports.submission);
    try {
      await smtp.readLine(5000);
      smtp.write('EHLO t.test\r\n');
      const ehlo: string[] = [];
      for (;;) {
        const l = await smtp.readLine(5000);
        if (typeof l !== 'string' || l === 'timeout' || l === 'closed') break;
        ehlo.push(l);
        if (/^250 /.test(l)) break;
      }
      expect(ehlo.some((l) => /AUTH/.test(l))).toBe(false);
      smtp.write(`AUTH PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}\r\n`);
      expect(await smtp.readLine(5000)).toMatch(/^538 5\.7\.\d+ /);
    } finally {
      smtp.destroy();
    }
    const imap = await LineSocket.connect(p.daemon.ports.imap);
    try {
      await imap.readLine(5000);
      imap.write(`a LOGIN ${ali.address} "${ali.password}"\r\n`);
      expect(await imap.readLine(5000)).toMatch(/^a BAD .*STARTTLS/);
      imap.write(`b AUTHENTICATE PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}\r\n`);
      expect(await imap.readLine(5000)).toMatch(/^b BAD .*STARTTLS/);
    } finally {
      imap.destroy();
    }
  });
});

// keep the helpers used by both describe blocks referenced
void crlf;
void innerEntity;
