/**
 * Limits with clear replies, on a daemon configured with small ones: SMTP and IMAP command
 * line length (an endless line is cut off, not buffered), commands per session, concurrent
 * connections per address and per account, recipients per message, and the shape of a
 * submitted message (line length, header size and field count, MIME depth and part count)
 * refused with a rejection evidence. Also the imap-core inputs that used to end the process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReasonCode } from '../../src/evidence/reasons';
import { addUser, removeDir, settle, startProvider, submit, type TestProvider, type TestUser } from '../support/e2e';
import { evidenceFor } from '../support/e2e-inspect';
import { deeplyNested } from '../support/fuzz';
import { LineSocket } from '../support/line-socket';
import { crlf, topHeaders, type OriginalSpec } from '../support/smime';

let p: TestProvider;
let ali: TestUser;
let ayse: TestUser;
let veli: TestUser;

beforeAll(async () => {
  p = await startProvider({
    env: {
      KEPD_SMTP_MAX_COMMAND_LINE_BYTES: '1024',
      KEPD_SMTP_MAX_COMMANDS_PER_SESSION: '12',
      KEPD_SMTP_MAX_CONNECTIONS_PER_IP: '4',
      KEPD_SMTP_MAX_CONNECTIONS_PER_ACCOUNT: '2',
      KEPD_SMTP_MAX_RECIPIENTS: '2',
      KEPD_IMAP_MAX_COMMAND_LINE_BYTES: '2048',
      KEPD_IMAP_MAX_COMMANDS_PER_SESSION: '12',
      KEPD_IMAP_MAX_CONNECTIONS_PER_IP: '4',
      KEPD_IMAP_MAX_CONNECTIONS_PER_ACCOUNT: '2',
      KEPD_LIMITS_MAX_HEADER_FIELDS: '50',
      KEPD_LIMITS_MAX_HEADER_BYTES: '4096',
      KEPD_LIMITS_MAX_MIME_DEPTH: '8',
      KEPD_LIMITS_MAX_MIME_PARTS: '20',
    },
  });
  [ali, ayse, veli] = await Promise.all([addUser(p, 'ali.veli'), addUser(p, 'ayse.kaya'), addUser(p, 'veli.can')]);
});

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
});

// ---------------------------------------------------------------- helpers

/** Opens raw TCP connections that never start TLS; returns which of them the server closed within a moment. */
async function silentSockets(port: number, count: number): Promise<{ closed: number; destroy: () => void }> {
  const net = await import('node:net');
  const sockets = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Socket>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.on('error', () => undefined);
    })),
  );
  let closed = 0;
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 500);
    s.once('close', () => {
      closed++;
      clearTimeout(timer);
      resolve();
    });
  })));
  return { closed, destroy: () => sockets.forEach((s) => s.destroy()) };
}

async function smtpReply(s: LineSocket, timeoutMs = 5000): Promise<string> {
  for (;;) {
    const line = await s.readLine(timeoutMs);
    if (line === 'timeout' || line === 'closed') return line;
    if (/^\d{3}(?: |$)/.test(line)) return line;
  }
}

async function smtp(implicit = false): Promise<{ s: LineSocket; greeting: string }> {
  const s = await LineSocket.connect(implicit ? p.daemon.ports.submissions : p.daemon.ports.submission, implicit ? { tls: { ca: p.caPem } } : {});
  return { s, greeting: await smtpReply(s) };
}

async function smtpAuthed(user: TestUser): Promise<{ s: LineSocket; reply: string }> {
  const { s } = await smtp(true);
  s.write('EHLO limits.test\r\n');
  await smtpReply(s);
  s.write(`AUTH PLAIN ${Buffer.from(`\0${user.address}\0${user.password}`).toString('base64')}\r\n`);
  return { s, reply: await smtpReply(s) };
}

async function imap(implicit = true): Promise<{ s: LineSocket; greeting: string }> {
  const s = await LineSocket.connect(implicit ? p.daemon.ports.imaps : p.daemon.ports.imap, implicit ? { tls: { ca: p.caPem } } : {});
  const greeting = await s.readLine(5000);
  return { s, greeting: typeof greeting === 'string' ? greeting : '' };
}

async function imapTagged(s: LineSocket, tag: string, timeoutMs = 5000): Promise<{ tagged: string; lines: string[] }> {
  const lines: string[] = [];
  for (;;) {
    const line = await s.readLine(timeoutMs);
    if (line === 'timeout' || line === 'closed') return { tagged: line, lines };
    if (line.startsWith(`${tag} `)) return { tagged: line, lines };
    lines.push(line);
    if (line.startsWith('* BYE')) return { tagged: line, lines };
  }
}

async function imapLoggedIn(user: TestUser): Promise<{ s: LineSocket; tagged: string }> {
  const { s } = await imap();
  s.write(`L1 LOGIN ${user.address} "${user.password}"\r\n`);
  return { s, tagged: (await imapTagged(s, 'L1')).tagged };
}

/** Streams up to `max` bytes of one line without CRLF; returns how many were written before the server closed. */
async function endlessLine(s: LineSocket, max: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  while (sent < max && !s.closed) {
    const ok = await s.writeAndWait(chunk);
    if (!ok) break;
    sent += chunk.length;
  }
  return sent;
}

/** Connection limits are released when the server sees the close: wait until a new connection is served. */
async function untilServed(open: () => Promise<{ s: LineSocket; greeting: string }>, ok: RegExp): Promise<void> {
  for (let i = 0; i < 100; i++) {
    // A socket over the limit is dropped before any TLS handshake: that is a failed connect.
    const c = await open().catch(() => undefined);
    c?.s.destroy();
    if (c && ok.test(c.greeting)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('connections were not released');
}

/** `openssl cms -sign` over a given inner entity (multipart/signed), with top-level headers. */
function signEntity(spec: OriginalSpec, entity: Buffer, user: TestUser): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'kepd-limits-'));
  try {
    writeFileSync(join(dir, 'in.eml'), entity);
    const out = execFileSync('openssl', ['cms', '-sign', '-in', join(dir, 'in.eml'), '-signer', user.certPath, '-inkey', user.keyPath, '-md', 'sha256', '-binary']);
    return Buffer.concat([Buffer.from(topHeaders(spec)), crlf(out)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const textEntity = (body: string): Buffer => crlf(`Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`);

async function expectShapeRefusal(raw: Buffer, reply: RegExp, detail: RegExp): Promise<void> {
  await settle(p);
  const before = (await evidenceFor(p, { address: ali.address })).length;
  const r = await submit(p, ali, raw, { to: [ayse.address] });
  expect(r.response).toMatch(reply);
  await settle(p);
  const evs = await evidenceFor(p, { address: ali.address });
  expect(evs.length).toBe(before + 1);
  const rejection = evs[0]!.data;
  expect(rejection.event).toBe('Rejection');
  expect(rejection.reasons?.[0]?.details).toMatch(detail);
}

// ---------------------------------------------------------------- SMTP

describe('SMTP', () => {
  test('a command line over the limit: 421 4.7.0 naming the limit, and the connection is closed', async () => {
    const { s } = await smtp();
    try {
      s.write(`EHLO ${'a'.repeat(2000)}\r\n`);
      expect(await smtpReply(s)).toBe('421 4.7.0 Command line too long (at most 1024 bytes); closing connection');
      expect(await s.waitClosed(5000)).toBe(true);
    } finally {
      s.destroy();
    }
  });

  test('an endless line is cut off early, not buffered', async () => {
    const { s } = await smtp();
    try {
      const sent = await endlessLine(s, 64 * 1024 * 1024);
      // Far less than the 64 MB offered: the server closed after little more than its limit (plus socket buffers).
      expect(sent).toBeLessThan(16 * 1024 * 1024);
    } finally {
      s.destroy();
    }
    await untilServed(() => smtp(), /^220 /);
  });

  test('commands per session: the one over the limit gets 421 4.7.0 and the connection is closed', async () => {
    // Logged in (EHLO and AUTH count too): unauthenticated sessions have smtp-server's lower limit.
    const { s, reply } = await smtpAuthed(veli);
    expect(reply).toMatch(/^235 /);
    try {
      for (let i = 0; i < 10; i++) {
        s.write('NOOP\r\n');
        expect(await smtpReply(s)).toMatch(/^250 /);
      }
      s.write('NOOP\r\n');
      expect(await smtpReply(s)).toBe('421 4.7.0 Too many commands in this session (at most 12); closing connection');
      expect(await s.waitClosed(5000)).toBe(true);
    } finally {
      s.destroy();
    }
  });

  test('connections per address, over both listeners: 421 4.7.0 beyond the limit, served again once one closes', async () => {
    await untilServed(() => smtp(), /^220 /);
    const open = [await smtp(), await smtp(), await smtp(true), await smtp(true)];
    try {
      expect(open.map((c) => c.greeting)).toEqual(Array(4).fill(expect.stringMatching(/^220 /)));
      for (const implicit of [false, true]) {
        const extra = await smtp(implicit);
        expect(extra.greeting).toBe('421 4.7.0 Too many connections from your address (at most 4); try again later');
        expect(await extra.s.waitClosed(5000)).toBe(true);
        extra.s.destroy();
      }
      open.shift()!.s.destroy();
      await untilServed(() => smtp(), /^220 /);
    } finally {
      for (const c of open) c.s.destroy();
    }
  });

  test('connections per account: a third AUTH of one account gets 454 4.7.0; other accounts are not affected', async () => {
    await untilServed(() => smtp(), /^220 /);
    const a = await smtpAuthed(ali);
    const b = await smtpAuthed(ali);
    try {
      expect([a.reply, b.reply]).toEqual([expect.stringMatching(/^235 /), expect.stringMatching(/^235 /)]);
      const c = await smtpAuthed(ali);
      expect(c.reply).toBe('454 4.7.0 Too many connections for this account (at most 2); try again later');
      c.s.destroy();
      const other = await smtpAuthed(veli);
      expect(other.reply).toMatch(/^235 /);
      other.s.destroy();
    } finally {
      a.s.destroy();
      b.s.destroy();
    }
    await untilServed(() => smtp(), /^220 /);
  });

  test('sockets that never start their TLS handshake are bounded too: beyond twice the per-address limit they are dropped at once', async () => {
    await untilServed(() => smtp(), /^220 /);
    const silent = await silentSockets(p.daemon.ports.submissions, 10);
    try {
      expect(silent.closed).toBe(2);
    } finally {
      silent.destroy();
    }
    await untilServed(() => smtp(true), /^220 /);
  });

  test('recipients per message: the one over the limit gets 452 4.5.3', async () => {
    const { s, reply } = await smtpAuthed(ali);
    try {
      expect(reply).toMatch(/^235 /);
      s.write(`MAIL FROM:<${ali.address}>\r\n`);
      expect(await smtpReply(s)).toMatch(/^250 /);
      for (const to of [ayse.address, veli.address]) {
        s.write(`RCPT TO:<${to}>\r\n`);
        expect(await smtpReply(s)).toMatch(/^250 /);
      }
      s.write(`RCPT TO:<${ali.address}>\r\n`);
      expect(await smtpReply(s)).toMatch(/^452 4\.5\.3 Too many recipients \(at most 2 per message\)/);
    } finally {
      s.destroy();
    }
    await untilServed(() => smtp(), /^220 /);
  });
});

describe('the shape of a submitted message: refused after DATA, with a rejection evidence', () => {
  const spec = (extra: string[] = []): OriginalSpec => ({ from: ali.address, to: [ayse.address], subject: 'Sınır', extraHeaders: extra });

  test('a line longer than 998 bytes → 550 5.6.0, InvalidMessageFormat', async () => {
    const raw = signEntity(spec(), textEntity(`kısa satır\r\n${'x'.repeat(1200)}\r\n`), ali);
    await expectShapeRefusal(raw, /^550 5\.6\.0 Line \d+ of the message is 1200 bytes long; lines may be at most 998 bytes/, /1200 bytes long/);
    const evs = await evidenceFor(p, { address: ali.address });
    expect(evs[0]!.data.reasons?.[0]?.code).toBe(ReasonCode.InvalidMessageFormat);
  });

  test('a header over the byte limit → 552 5.3.4', async () => {
    const pad = Array.from({ length: 40 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(100)}`);
    await expectShapeRefusal(signEntity(spec(pad), textEntity('gövde\r\n'), ali), /^552 5\.3\.4 The message header is larger than 4096 bytes/, /larger than 4096/);
  });

  test('more header fields than allowed → 550 5.6.0', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `X-F${i}: ${i}`);
    await expectShapeRefusal(signEntity(spec(many), textEntity('gövde\r\n'), ali), /^550 5\.6\.0 The message header has 6\d fields; at most 50/, /fields; at most 50/);
  });

  test('MIME nested deeper than allowed → 550 5.6.0', async () => {
    const nested = deeplyNested(12);
    const entity = nested.subarray(nested.indexOf('Content-Type:'));
    await expectShapeRefusal(signEntity(spec(), entity, ali), /^550 5\.6\.0 MIME parts are nested more than 8 levels deep/, /nested more than 8/);
  });

  test('more MIME parts than allowed → 550 5.6.0', async () => {
    const parts = Array.from({ length: 25 }, (_, i) => `--pp\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const entity = Buffer.from(`Content-Type: multipart/mixed; boundary="pp"\r\n\r\n${parts}--pp--\r\n`);
    await expectShapeRefusal(signEntity(spec(), entity, ali), /^550 5\.6\.0 The message has more than 20 MIME parts/, /more than 20 MIME parts/);
  });

  test('within every limit the same kind of message is accepted', async () => {
    const nested = deeplyNested(6);
    const entity = nested.subarray(nested.indexOf('Content-Type:'));
    const r = await submit(p, ali, signEntity(spec(['X-F: 1']), entity, ali), { to: [ayse.address] });
    expect(r.response).toMatch(/^250 2\.0\.0 /);
  });
});

// ---------------------------------------------------------------- IMAP

describe('IMAP', () => {
  test('a command line over the limit: BYE naming the limit, and the connection is closed', async () => {
    const { s } = await imap();
    try {
      s.write(`A1 NOOP ${'x'.repeat(3000)}\r\n`);
      expect((await imapTagged(s, 'A1')).tagged).toBe('* BYE Command line too long (at most 2048 bytes)');
      expect(await s.waitClosed(5000)).toBe(true);
    } finally {
      s.destroy();
    }
  });

  test('an endless line is cut off early, not buffered (also before STARTTLS)', async () => {
    for (const implicit of [true, false]) {
      const { s } = await imap(implicit);
      try {
        expect(await endlessLine(s, 64 * 1024 * 1024)).toBeLessThan(16 * 1024 * 1024);
      } finally {
        s.destroy();
      }
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('a command whose literals add up beyond the limit: BYE, connection closed', async () => {
    const { s } = await imapLoggedIn(ali);
    try {
      s.write('A2 SEARCH TEXT {1000}\r\n');
      let closedEarly = false;
      for (let i = 0; i < 10; i++) {
        const line = await s.readLine(5000);
        if (line !== '+ Go ahead') {
          expect(line).toBe('* BYE Command too long');
          closedEarly = true;
          break;
        }
        s.write(`${'y'.repeat(1000)} TEXT {1000}\r\n`);
      }
      expect(closedEarly).toBe(true);
      expect(await s.waitClosed(5000)).toBe(true);
    } finally {
      s.destroy();
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('commands per session: BYE after the limit', async () => {
    const { s } = await imap();
    try {
      for (let i = 0; i < 12; i++) {
        s.write(`N${i} NOOP\r\n`);
        expect((await imapTagged(s, `N${i}`)).tagged).toMatch(/ OK /);
      }
      s.write('N99 NOOP\r\n');
      expect((await imapTagged(s, 'N99')).tagged).toBe('* BYE Too many commands in this session (at most 12)');
      expect(await s.waitClosed(5000)).toBe(true);
    } finally {
      s.destroy();
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('connections per address: BYE [UNAVAILABLE] beyond the limit on both ports', async () => {
    await untilServed(() => imap(), /^\* OK /);
    const open = [await imap(), await imap(), await imap(false), await imap(false)];
    try {
      expect(open.map((c) => c.greeting)).toEqual(Array(4).fill(expect.stringMatching(/^\* OK /)));
      for (const implicit of [true, false]) {
        const extra = await imap(implicit);
        expect(extra.greeting).toBe('* BYE [UNAVAILABLE] Too many connections from your address (at most 4); try again later');
        extra.s.destroy();
      }
    } finally {
      for (const c of open) c.s.destroy();
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('sockets that never start their TLS handshake are bounded too (993)', async () => {
    await untilServed(() => imap(), /^\* OK /);
    const silent = await silentSockets(p.daemon.ports.imaps, 10);
    try {
      expect(silent.closed).toBe(2);
    } finally {
      silent.destroy();
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('connections per account: a third login of one account gets NO [UNAVAILABLE] (LOGIN and AUTHENTICATE)', async () => {
    const a = await imapLoggedIn(ali);
    const b = await imapLoggedIn(ali);
    try {
      expect([a.tagged, b.tagged]).toEqual([expect.stringMatching(/^L1 OK /), expect.stringMatching(/^L1 OK /)]);
      const c = await imapLoggedIn(ali);
      expect(c.tagged).toBe('L1 NO [UNAVAILABLE] Too many connections for this account (at most 2); try again later');
      c.s.write(`L2 AUTHENTICATE PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}\r\n`);
      expect((await imapTagged(c.s, 'L2')).tagged).toBe('L2 NO [UNAVAILABLE] Too many connections for this account (at most 2); try again later');
      c.s.destroy();
      const other = await imapLoggedIn(veli);
      expect(other.tagged).toMatch(/^L1 OK /);
      other.s.destroy();
    } finally {
      a.s.destroy();
      b.s.destroy();
    }
    await untilServed(() => imap(), /^\* OK /);
  });

  test('inputs that used to end the process (LSUB with an empty pattern, ENABLE without arguments) get answers; a 5000-level message is described within bounds', async () => {
    const { s } = await imapLoggedIn(veli);
    try {
      s.write('A1 LSUB "" ""\r\n');
      const lsub = await imapTagged(s, 'A1');
      expect(lsub.lines).toEqual(['* LSUB (\\Noselect) "/" "/"']);
      expect(lsub.tagged).toMatch(/^A1 OK /);
      s.write('A2 ENABLE\r\n');
      expect((await imapTagged(s, 'A2')).tagged).toMatch(/^A2 BAD /);
      const deep = deeplyNested(5000);
      s.write(`A3 APPEND Drafts {${deep.length}}\r\n`);
      expect(await s.readLine(5000)).toMatch(/^\+ /);
      s.write(Buffer.concat([deep, Buffer.from('\r\n')]));
      expect((await imapTagged(s, 'A3')).tagged).toMatch(/^A3 OK /);
      s.write('A4 SELECT Drafts\r\n');
      expect((await imapTagged(s, 'A4')).tagged).toMatch(/^A4 OK /);
      s.write('A5 FETCH 1 (BODYSTRUCTURE ENVELOPE)\r\n');
      const fetched = await imapTagged(s, 'A5', 15000);
      expect(fetched.tagged).toMatch(/^A5 OK /);
      expect(fetched.lines.join('').length).toBeLessThan(200_000);
    } finally {
      s.destroy();
    }
  });
});
