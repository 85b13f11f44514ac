/**
 * FETCH answers served from the stored bytes: whole message, partials, MIME sections, headers,
 * BODYSTRUCTURE and ENVELOPE, driven by imapflow and by a raw client for exact bytes.
 */
import { randomBytes } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { rawLogin, startImapHarness, type ImapHarness, type RawImap } from '../support/imap';
import { dispatchMessage, simpleMessage } from '../support/imap-messages';
import type { MessageRecord, StoreOp } from '../../src/store';

let h: ImapHarness;
let client: ImapFlow;
let raw: RawImap;
let stored: MessageRecord;
let oddStored: MessageRecord;
// an attachment with every byte value, so a single changed byte shows up
const attachment = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
const msg = dispatchMessage({ attachment });
// bare LF line ends, trailing spaces, no final newline: must come back exactly as stored
const odd = Buffer.from('Subject: odd  \nX-Trailing: yes \t\n\nline one  \r\nline two\n\n\nlast line without newline', 'latin1');

beforeAll(async () => {
  h = await startImapHarness();
  stored = await h.deliver(h.alice, 'INBOX', msg.bytes, 'receipt');
  oddStored = await h.deliver(h.alice, 'INBOX', odd, 'receipt');
  client = await h.client(h.alice);
  await client.mailboxOpen('INBOX');
  raw = await rawLogin(h, h.alice);
  await raw.command('SELECT INBOX');
});

afterAll(async () => {
  await client?.logout();
  await raw?.close();
  await h?.close();
});

describe('whole message', () => {
  it('BODY[] is byte-exact, for a MIME message and for odd line endings', async () => {
    const a = await client.fetchOne(String(stored.uid), { source: true }, { uid: true });
    expect(a && a.source && a.source.equals(msg.bytes)).toBe(true);
    const b = await client.fetchOne(String(oddStored.uid), { source: true, size: true }, { uid: true });
    expect(b && b.source && b.source.equals(odd)).toBe(true);
    expect(b && b.size).toBe(odd.length);
  });

  it('partial BODY[]<start.length> returns exactly that byte range', async () => {
    for (const [start, length] of [
      [0, 100],
      [1234, 5000],
      [msg.bytes.length - 10, 100],
    ]) {
      const m = await client.fetchOne(String(stored.uid), { source: { start, maxLength: length } }, { uid: true });
      expect(m && m.source && m.source.equals(msg.bytes.subarray(start, start + length))).toBe(true);
    }
    const beyond = await raw.command(`UID FETCH ${stored.uid} BODY.PEEK[]<${msg.bytes.length + 5}.10>`);
    expect(beyond.tagged).toMatch(/ OK /);
    expect(beyond.literals).toEqual([Buffer.alloc(0)]);
  });

  it('RFC822, RFC822.HEADER and RFC822.TEXT are the stored bytes', async () => {
    const res = await raw.command(`UID FETCH ${stored.uid} (RFC822.HEADER RFC822.TEXT)`);
    expect(res.literals[0].equals(msg.pieces.header)).toBe(true);
    expect(res.literals[1].equals(msg.pieces.text)).toBe(true);
    const full = await raw.command(`UID FETCH ${oddStored.uid} RFC822`);
    expect(full.literals[0].equals(odd)).toBe(true);
  });
});

describe('sections', () => {
  it('numeric parts, nested parts, MIME headers and the encapsulated message', async () => {
    const res = await raw.command(
      `UID FETCH ${stored.uid} (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.1] BODY.PEEK[4] BODY.PEEK[TEXT] BODY.PEEK[HEADER] BODY.PEEK[9])`,
    );
    const [p1, p1mime, p2, p21, p4, text, header, missing] = res.literals;
    expect(p1.equals(msg.pieces.intro)).toBe(true);
    expect(p1mime.equals(msg.pieces.introMime)).toBe(true);
    expect(p2.equals(msg.pieces.inner)).toBe(true);
    expect(p21.equals(msg.pieces.innerText)).toBe(true);
    expect(p4.equals(msg.pieces.xml)).toBe(true);
    expect(text.equals(msg.pieces.text)).toBe(true);
    expect(header.equals(msg.pieces.header)).toBe(true);
    expect(missing.length).toBe(0);
  });

  it('a binary attachment comes back intact, whole and in partial slices', async () => {
    const whole = await client.fetchOne(String(stored.uid), { bodyParts: ['3'] }, { uid: true });
    const b64 = whole && whole.bodyParts?.get('3');
    expect(b64 && b64.equals(msg.pieces.attachmentB64)).toBe(true);
    expect(Buffer.from((b64 as Buffer).toString('latin1'), 'base64').equals(attachment)).toBe(true);

    const encoded = msg.pieces.attachmentB64;
    for (const [start, length] of [
      [0, 1],
      [77, 4096],
      [123_457, 65_536],
      [encoded.length - 3, 100],
    ]) {
      const res = await raw.command(`UID FETCH ${stored.uid} BODY.PEEK[3]<${start}.${length}>`);
      expect(res.lines.join('\n') + res.tagged).toMatch(/ OK /);
      expect(res.literals[0].equals(encoded.subarray(start, start + length))).toBe(true);
    }

    const { content } = await client.download(String(stored.uid), '3', { uid: true });
    if (!content) throw new Error('no download');
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(attachment)).toBe(true);
  });

  it('HEADER.FIELDS keeps folded fields exactly; HEADER.FIELDS.NOT is the complement', async () => {
    const m = await client.fetchOne(String(stored.uid), { headers: ['subject', 'x-folded'] }, { uid: true });
    const header = msg.pieces.header.toString('utf8');
    const subject = /^Subject: .*\r\n/m.exec(header)?.[0] ?? '';
    expect(m && m.headers?.toString('utf8')).toBe(`${subject}X-Folded: first part\r\n\tsecond part\r\n\r\n`);

    const res = await raw.command(`UID FETCH ${stored.uid} BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT X-FOLDED RETURN-PATH FROM TO DATE MESSAGE-ID)]`);
    expect(res.literals[0].toString()).toBe('X-REM-Message-Identifier: K01TEST\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="mix-b"\r\n\r\n');
  });
});

describe('structure and metadata', () => {
  it('BODYSTRUCTURE, ENVELOPE, INTERNALDATE, RFC822.SIZE, FLAGS and UID', async () => {
    const m = await client.fetchOne(
      String(stored.uid),
      { bodyStructure: true, envelope: true, internalDate: true, size: true, flags: true, uid: true },
      { uid: true },
    );
    if (!m) throw new Error('no message');
    expect(m.uid).toBe(stored.uid);
    expect(m.size).toBe(msg.bytes.length);
    expect((m.internalDate as Date).getTime()).toBe(stored.internalDate.getTime() - (stored.internalDate.getTime() % 1000));
    expect(m.envelope?.subject).toBe('KEP İletisi: Önemli tebligat');
    expect(m.envelope?.messageId).toBe('<dispatch-1@kep.test>');
    expect(m.envelope?.from?.[0]).toEqual({ name: 'KEP Hizmeti', address: 'kepd@kep.test' });
    const parts = m.bodyStructure?.childNodes ?? [];
    expect(parts.map((p) => p.type)).toEqual(['text/plain', 'message/rfc822', 'application/octet-stream', 'application/xml']);
    expect(parts.map((p) => p.size)).toEqual([msg.pieces.intro.length, msg.pieces.inner.length, msg.pieces.attachmentB64.length, msg.pieces.xml.length]);
    expect(parts[1].envelope?.subject).toBe('Önemli tebligat');
    expect(parts[1].childNodes?.[0].childNodes?.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
    expect(parts[2].dispositionParameters?.filename).toBe('belge.bin');
  });

  it('parses a message once and caches the result in the store', async () => {
    const [record] = await h.store.messages.list(stored.mailboxId, [stored.uid]);
    expect(record.meta && typeof record.meta.imap).toBe('object');
    // a cached structure that differs from the bytes is what gets served: proof it is not re-parsed
    const tampered = JSON.parse(JSON.stringify(record.meta)) as { imap: { envelope: unknown[] } };
    tampered.imap.envelope[1] = 'from the cache';
    await h.store.messages.setMeta(record.id, tampered as never);
    const m = await client.fetchOne(String(stored.uid), { envelope: true }, { uid: true });
    expect(m && m.envelope?.subject).toBe('from the cache');
    await h.store.messages.setMeta(record.id, record.meta as never);
  });

  it('MODSEQ with CONDSTORE, and FETCH CHANGEDSINCE', async () => {
    const select = await raw.command('SELECT INBOX (CONDSTORE)');
    expect(select.lines.some((l) => /HIGHESTMODSEQ \d+/.test(l))).toBe(true);
    const res = await raw.command(`UID FETCH ${stored.uid} (MODSEQ)`);
    const modseq = Number(/MODSEQ \((\d+)\)/.exec(res.lines.join(' '))?.[1]);
    expect(modseq).toBeGreaterThan(0);
    const store = await raw.command(`UID STORE ${oddStored.uid} +FLAGS (\\Flagged)`);
    const changedModseq = Number(/MODSEQ \((\d+)\)/.exec(store.lines.join(' '))?.[1]);
    expect(changedModseq).toBeGreaterThan(modseq);
    const changed = await raw.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${changedModseq - 1})`);
    expect(changed.lines).toHaveLength(1);
    expect(changed.lines[0]).toContain(`UID ${oddStored.uid}`);
  });

  it('encodes non-ASCII envelope text unless UTF8=ACCEPT is enabled', async () => {
    const plain = await raw.command(`UID FETCH ${stored.uid} ENVELOPE`);
    expect(plain.raw.toString('latin1')).toContain('=?UTF-8?');
    const other = await rawLogin(h, h.alice);
    try {
      expect((await other.command('ENABLE UTF8=ACCEPT')).tagged).toMatch(/ OK /);
      await other.command('SELECT INBOX');
      const utf8 = await other.command(`UID FETCH ${stored.uid} ENVELOPE`);
      expect(utf8.raw.toString('utf8')).toContain('KEP İletisi: Önemli tebligat');
    } finally {
      await other.close();
    }
  });
});

describe('large mailboxes', () => {
  it('FETCH 1:* pages through more messages than one page, in order', async () => {
    await h.store.mailboxes.create(h.alice.id, 'Many');
    const sizes: number[] = [];
    const ops: StoreOp[] = [];
    for (let i = 0; i < 260; i++) {
      const bytes = simpleMessage({ subject: `bulk ${i}`, body: 'x'.repeat(i) });
      sizes.push(bytes.length);
      const blob = await h.store.blobs.put(bytes);
      ops.push({ op: 'appendMessage', message: { accountId: h.alice.id, mailboxPath: 'Many', blob, kind: 'receipt' } });
    }
    await h.store.commit(ops);
    const other = await rawLogin(h, h.alice);
    try {
      await other.command('EXAMINE Many');
      const res = await other.command('FETCH 1:* (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
      expect(res.lines).toHaveLength(260);
      res.lines.forEach((line, i) => expect(line).toMatch(new RegExp(`^\\* ${i + 1} FETCH .*RFC822.SIZE ${sizes[i]}\\b`)));
      expect(res.literals.map((l) => l.toString())).toEqual(sizes.map((_, i) => `Subject: bulk ${i}\r\n\r\n`));
    } finally {
      await other.close();
    }
  });
});
