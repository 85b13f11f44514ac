/**
 * Random and mutated IMAP commands (literals included) against a live daemon process, logged
 * in as one user, with another user's mail next door. Properties: every response line is
 * well-formed (untagged, continuation or tagged OK/NO/BAD for a tag we sent); after LOGOUT the
 * server closes; it never crashes; a fresh client is served after every session; the other
 * user's mail never shows up and is unchanged afterwards; memory stays bounded.
 */
import { ImapFlow } from 'imapflow';
import fc from 'fast-check';
import { submit, type TestProvider, type TestUser } from '../support/e2e';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process';
import { fuzzParams, fuzzRuns, mimeTree, mutated, renderMime, soaking } from '../support/fuzz';
import { LineSocket } from '../support/line-socket';
import { signWithOpenssl } from '../support/smime';

let d: DaemonProcess;
let ali: TestUser;
let ayse: TestUser;
/** Only in ayse's mail: must never reach ali's sessions. */
const SECRET = `ayse-only-${Date.now().toString(36)}`;

beforeAll(async () => {
  d = await startDaemonProcess(['ali.veli', 'ayse.kaya'], {
    KEPD_AUTH_MAX_FAILURES_PER_ACCOUNT: '0',
    KEPD_AUTH_MAX_FAILURES_PER_IP: '0',
    KEPD_IMAP_MAX_CONNECTIONS_PER_IP: '0',
  });
  ali = d.users['ali.veli']!;
  ayse = d.users['ayse.kaya']!;
  // ayse → ali gives ali something to read; ayse's own drafts and folder carry the secret.
  const p = { daemon: { ports: d.ports }, caPem: d.caPem } as unknown as TestProvider;
  const toAli = await submit(p, ayse, signWithOpenssl({ from: ayse.address, to: [ali.address], subject: 'for ali' }, ayse.certPath, ayse.keyPath), { to: [ali.address] });
  expect(toAli.response).toMatch(/^250 /);
  const client = new ImapFlow({ host: '127.0.0.1', port: d.ports.imaps, secure: true, auth: { user: ayse.address, pass: ayse.password }, tls: { ca: [d.caPem], servername: 'localhost' }, logger: false });
  await client.connect();
  try {
    await client.mailboxCreate('Fuzz');
    const draft = `From: ${ayse.address}\r\nSubject: ${SECRET}\r\n\r\n${SECRET}\r\n`;
    await client.append('Drafts', draft);
    await client.append('Fuzz', draft);
    await client.append('INBOX', draft);
  } finally {
    await client.logout();
  }
  // ali reads ayse's message now, so its one Retrieval receipt reaches ayse's Delil before the
  // snapshot (acceptance, delivery, retrieval); fuzzed reading cannot add another.
  const reader = new ImapFlow({ host: '127.0.0.1', port: d.ports.imaps, secure: true, auth: { user: ali.address, pass: ali.password }, tls: { ca: [d.caPem], servername: 'localhost' }, logger: false });
  await reader.connect();
  try {
    const inboxCount = async (): Promise<number> => {
      const st = await reader.status('INBOX', { messages: true });
      return st ? (st.messages ?? 0) : 0;
    };
    for (let i = 0; i < 200 && (await inboxCount()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const lock = await reader.getMailboxLock('INBOX');
    try {
      for await (const m of reader.fetch('1:*', { source: true })) expect(m.source?.length).toBeGreaterThan(0);
    } finally {
      lock.release();
    }
  } finally {
    await reader.logout();
  }
  for (let i = 0; i < 200 && !/Delil:3:/.test(await ayseMailboxes()); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await ayseMailboxes()).toMatch(/Delil:3:/);
}, 60_000);

afterAll(async () => {
  if (d) {
    await d.stop();
    d.cleanup();
  }
});

type Segment = { text: string } | { literal: Buffer };
type Command = Segment[];

const mailbox = fc.constantFrom(
  'INBOX',
  'Sent',
  'Delil',
  'Drafts',
  'Trash',
  '"Delil"',
  'inbox',
  'Fuzz',
  '"Fuzz/Deep"',
  '"ayse.kaya@kep.test/INBOX"',
  '"../ayse.kaya/INBOX"',
  '"#shared/INBOX"',
  '"Other Users/ayse.kaya/INBOX"',
  '"~ayse.kaya/Delil"',
  '""',
  '"*"',
  '"%"',
  '"INBOX\\\\"',
  '"\u00e7\u011f"',
);
const seqset = fc.constantFrom('1', '1:*', '*', '0', '2', '1,2,3', '4294967295', '4294967296', '99999999999999999999', '1:2:3', '-1', '*:1', '1,*', '3:1');
const fetchAtt = fc.constantFrom(
  '(UID FLAGS)',
  '(ENVELOPE BODYSTRUCTURE)',
  'BODY[]',
  'BODY.PEEK[]',
  'BODY.PEEK[HEADER]',
  'BODY[TEXT]<0.100>',
  'BODY.PEEK[1.2.3.4.5.6.7]',
  'BINARY[1]',
  'BINARY.SIZE[1]',
  'RFC822',
  'RFC822.SIZE',
  'BODY[HEADER.FIELDS (FROM SUBJECT)]',
  'BODY[HEADER.FIELDS.NOT ()]',
  'BODY[]<4294967295.5>',
  '(MODSEQ)',
  'FAST',
  'FULL',
  '(BODY[',
);
const atom = fc.stringMatching(/^[A-Za-z0-9\\.\-_*%]{1,12}$/);
const quoted = fc.string({ maxLength: 20 }).map((s) => `"${s.replace(/["\\\r\n]/g, '')}"`);
const arg: fc.Arbitrary<Segment[]> = fc.oneof(
  mailbox.map((t) => [{ text: t }]),
  seqset.map((t) => [{ text: t }]),
  fetchAtt.map((t) => [{ text: t }]),
  atom.map((t) => [{ text: t }]),
  quoted.map((t) => [{ text: t }]),
  fc.constantFrom('(\\Seen)', '(\\Deleted)', '(\\Answered $Fuzz)', '()', '(((((((((', ')', 'NIL', '{', '{99999999999}', '{5+}').map((t) => [{ text: t }]),
  fc.uint8Array({ maxLength: 40 }).map((a) => [{ literal: Buffer.from(a) }]),
);

function commandArb(): fc.Arbitrary<Command> {
  const message = fc.oneof(
    mimeTree.map((t) => Buffer.from(renderMime(t))),
    fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)),
  );
  const named = fc.constantFrom(
    'SELECT',
    'EXAMINE',
    'STATUS',
    'LIST',
    'LSUB',
    'FETCH',
    'UID FETCH',
    'STORE',
    'UID STORE',
    'COPY',
    'UID COPY',
    'MOVE',
    'UID MOVE',
    'SEARCH',
    'UID SEARCH',
    'CREATE',
    'DELETE',
    'RENAME',
    'SUBSCRIBE',
    'UNSUBSCRIBE',
    'NOOP',
    'CHECK',
    'CLOSE',
    'UNSELECT',
    'EXPUNGE',
    'UID EXPUNGE',
    'NAMESPACE',
    'GETQUOTAROOT',
    'GETQUOTA',
    'SETQUOTA',
    'ID',
    'ENABLE',
    'CAPABILITY',
    'LOGIN',
    'AUTHENTICATE',
    'STARTTLS',
    'COMPRESS',
    'XFUZZ',
  );
  const generic = fc
    .tuple(named, fc.array(arg, { maxLength: 5 }))
    .map(([name, args]) => [{ text: name }, ...args.flatMap((a) => [{ text: ' ' }, ...a])]);
  const structured = fc.oneof(
    fc.tuple(seqset, fetchAtt).map(([s, f]) => [{ text: `FETCH ${s} ${f}` }]),
    fc.tuple(seqset, fetchAtt).map(([s, f]) => [{ text: `UID FETCH ${s} ${f}` }]),
    fc.tuple(mailbox, seqset).map(([m, s]) => [{ text: `COPY ${s} ${m}` }]),
    fc.tuple(mailbox, seqset).map(([m, s]) => [{ text: `UID MOVE ${s} ${m}` }]),
    mailbox.map((m) => [{ text: `SELECT ${m}` }]),
    mailbox.map((m) => [{ text: `STATUS ${m} (MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ)` }]),
    fc.tuple(mailbox, message).map(([m, msg]) => [{ text: `APPEND ${m} (\\Seen) ` }, { literal: msg }]),
    fc.constantFrom('LIST "" "*"', 'LIST "" "%"', 'LIST "ayse.kaya" "*"', 'LIST "#shared" "*"', 'SEARCH TEXT secret', 'UID SEARCH ALL', 'IDLE').map((t) => [{ text: t }]),
  );
  const base = fc.oneof({ weight: 2, arbitrary: generic }, { weight: 3, arbitrary: structured });
  // Some commands mutated at the byte level (text segments only; literals keep their sizes).
  return fc.oneof(
    { weight: 4, arbitrary: base },
    {
      weight: 1,
      arbitrary: base.chain((segments) => {
        const text = segments.map((s) => ('text' in s ? s.text : '')).join('');
        return mutated(Buffer.from(text, 'latin1'), 3).map((b) => [{ text: b.toString('latin1').replace(/\r?\n/g, ' ') }]);
      }),
    },
  );
}

const sessionArb = () =>
  fc.record({
    login: fc.constantFrom('implicit', 'implicit', 'starttls', 'none'),
    commands: fc.array(commandArb(), { minLength: 1, maxLength: 12 }),
  });

const UNTAGGED = /^(\* |\+( |$))/;

/** Reads one logical response line (literals consumed); checks its shape. */
async function readResponse(s: LineSocket, tags: Set<string>, bad: string[], seen: string[], timeoutMs: number): Promise<string | undefined> {
  let line = await s.readLine(timeoutMs);
  if (line === 'timeout' || line === 'closed') return undefined;
  let logical = line;
  let literal = /\{(\d+)\}$/.exec(line);
  while (literal) {
    const bytes = await s.readBytes(Number(literal[1]), timeoutMs);
    if (typeof bytes === 'string') return undefined;
    seen.push(bytes.toString('latin1'));
    line = await s.readLine(timeoutMs);
    if (line === 'timeout' || line === 'closed') return undefined;
    logical += line;
    literal = /\{(\d+)\}$/.exec(line);
  }
  seen.push(logical);
  const tag = logical.split(' ', 1)[0]!;
  if (!UNTAGGED.test(logical) && !(tags.has(tag) && /^\S+ (OK|NO|BAD)( |$)/.test(logical))) bad.push(logical);
  return logical;
}

/** Sends a command, waiting for "+" before each literal; resolves at its tagged answer (or timeout/close). */
async function send(s: LineSocket, tag: string, command: Command, tags: Set<string>, bad: string[], seen: string[]): Promise<void> {
  tags.add(tag);
  let pending = `${tag} `;
  for (const seg of command) {
    if ('text' in seg) {
      pending += seg.text;
      continue;
    }
    s.write(Buffer.from(`${pending}{${seg.literal.length}}\r\n`, 'latin1'));
    pending = '';
    for (;;) {
      const r = await readResponse(s, tags, bad, seen, 2000);
      if (r === undefined || r.startsWith(`${tag} `)) return; // refused before the literal
      if (r.startsWith('+')) break;
    }
    s.write(seg.literal);
  }
  s.write(Buffer.from(`${pending}\r\n`, 'latin1'));
  for (;;) {
    const r = await readResponse(s, tags, bad, seen, 3000);
    if (r === undefined || r.startsWith(`${tag} `) || r.startsWith('* BYE')) return;
    if (r.startsWith('+') && command.some((c) => 'text' in c && /IDLE/i.test(c.text))) s.write('DONE\r\n');
  }
}

async function open(login: string, tags: Set<string>, bad: string[], seen: string[]): Promise<LineSocket> {
  const implicit = login === 'implicit';
  const s = await LineSocket.connect(implicit ? d.ports.imaps : d.ports.imap, implicit ? { tls: { ca: d.caPem } } : {});
  await readResponse(s, tags, bad, seen, 5000);
  if (login === 'starttls') {
    await send(s, 'S0', [{ text: 'STARTTLS' }], tags, bad, seen);
    await s.startTls(d.caPem);
  }
  if (login !== 'none') await send(s, 'L0', [{ text: `LOGIN ${ali.address} "${ali.password}"` }], tags, bad, seen);
  return s;
}

async function runSession(session: { login: string; commands: Command[] }): Promise<string[]> {
  const tags = new Set<string>();
  const bad: string[] = [];
  const seen: string[] = [];
  const s = await open(session.login, tags, bad, seen);
  try {
    let n = 0;
    for (const command of session.commands) {
      if (s.closed) break;
      await send(s, `F${++n}`, command, tags, bad, seen);
    }
    s.write('\r\nZ9 LOGOUT\r\n');
    tags.add('Z9');
    const closed = await s.waitClosed(10000);
    expect({ closed, bad }).toEqual({ closed: true, bad: [] });
    return seen;
  } finally {
    s.destroy();
  }
}

async function ayseMailboxes(): Promise<string> {
  const client = new ImapFlow({ host: '127.0.0.1', port: d.ports.imaps, secure: true, auth: { user: ayse.address, pass: ayse.password }, tls: { ca: [d.caPem], servername: 'localhost' }, logger: false });
  await client.connect();
  try {
    const out: string[] = [];
    for (const box of await client.list()) {
      const st = await client.status(box.path, { messages: true, uidNext: true });
      out.push(st ? `${box.path}:${st.messages}:${st.uidNext}` : `${box.path}:?`);
    }
    return out.sort().join(' ');
  } finally {
    await client.logout();
  }
}

async function greeting(): Promise<void> {
  const s = await LineSocket.connect(d.ports.imaps, { tls: { ca: d.caPem } });
  try {
    expect(await s.readLine(5000)).toMatch(/^\* OK /);
  } finally {
    s.destroy();
  }
}

test(
  "random IMAP commands with literals: well-formed answers, clean close, no crash, fresh clients served, the other account's mail untouched and unseen",
  async () => {
    const before = await ayseMailboxes();
    const rssBefore = d.rssKb();
    let sessions = 0;
    await d.explain(() =>
      fc.assert(
      fc.asyncProperty(sessionArb(), async (session) => {
        const seen = await runSession(session);
        sessions++;
        expect(seen.filter((l) => l.includes(SECRET))).toEqual([]);
        expect(d.alive()).toBe(true);
        await greeting();
      }),
        { ...fuzzParams(25), endOnFailure: !soaking() },
      ),
    );
    expect(sessions).toBeGreaterThanOrEqual(fuzzRuns(25));
    expect(await ayseMailboxes()).toBe(before);
    expect(d.alive()).toBe(true);
    expect(d.lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    const grownMb = (d.rssKb() - rssBefore) / 1024;
    if (soaking()) process.stderr.write(`imap fuzz: ${sessions} sessions, daemon RSS ${Math.round(rssBefore / 1024)} MB -> ${Math.round(d.rssKb() / 1024)} MB\n`);
    expect(grownMb).toBeLessThan(256);
  },
  soaking() ? 6 * 60 * 60_000 : 180_000,
);
