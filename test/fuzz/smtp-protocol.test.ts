/**
 * Random and mutated SMTP sessions against a live daemon process (587 plain/STARTTLS and 465
 * implicit TLS, before and after AUTH, DATA with mutated, random and deeply nested messages).
 * Properties: every line the server sends is a well-formed reply; after QUIT it closes; it
 * never crashes; a fresh, well-behaved client is served after every session; memory stays bounded.
 */
import fc from 'fast-check';
import { DOMAIN, submit, type TestProvider, type TestUser } from '../support/e2e';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process';
import { deeplyNested, fuzzParams, fuzzRuns, mimeTree, mutated, renderMime, soaking } from '../support/fuzz';
import { LineSocket } from '../support/line-socket';
import { signWithOpenssl } from '../support/smime';

let d: DaemonProcess;
let ali: TestUser;
let ayse: TestUser;
let signed: Buffer;
const REPLY = /^[2-5]\d\d(?:[ -].*)?$/;

beforeAll(async () => {
  // No lockout here: random AUTH attempts must not lock out the well-behaved client.
  d = await startDaemonProcess(['ali.veli', 'ayse.kaya'], {
    KEPD_AUTH_MAX_FAILURES_PER_ACCOUNT: '0',
    KEPD_AUTH_MAX_FAILURES_PER_IP: '0',
    KEPD_SMTP_MAX_CONNECTIONS_PER_IP: '0',
  });
  ali = d.users['ali.veli']!;
  ayse = d.users['ayse.kaya']!;
  signed = signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'fuzz' }, ali.certPath, ali.keyPath);
}, 60_000);

afterAll(async () => {
  if (d) {
    await d.stop();
    d.cleanup();
  }
});

type Step = { kind: 'line'; text: Buffer } | { kind: 'data'; body: Buffer; stuff: boolean; envelope: boolean } | { kind: 'raw'; bytes: Buffer };

function commands(): string[] {
  const plain = Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64');
  const wrong = Buffer.from(`\0${ayse.address}\0wrong-password`).toString('base64');
  return [
    'EHLO fuzz.test',
    'HELO fuzz.test',
    'EHLO',
    `MAIL FROM:<${ali.address}>`,
    `MAIL FROM:<${ayse.address}>`,
    `MAIL FROM:<${ali.address}> SIZE=99999999999 BODY=8BITMIME`,
    'MAIL FROM:<>',
    `RCPT TO:<${ayse.address}>`,
    `RCPT TO:<nobody@${DOMAIN}>`,
    'RCPT TO:<someone@not-kep.example>',
    `RCPT TO:<${ayse.address}> NOTIFY=SUCCESS`,
    'DATA',
    'RSET',
    'NOOP',
    'VRFY ali',
    'HELP',
    'STARTTLS',
    `AUTH PLAIN ${plain}`,
    `AUTH PLAIN ${wrong}`,
    'AUTH LOGIN',
    'AUTH CRAM-MD5',
    Buffer.from(ali.address).toString('base64'),
    'BDAT 10 LAST',
    'XCLIENT ADDR=10.0.0.1',
    'GET / HTTP/1.1',
  ];
}

function stepArb(): fc.Arbitrary<Step> {
  const cmd = fc.constantFrom(...commands()).map((s) => Buffer.from(s));
  const body = fc.oneof(
    fc.constant(signed),
    mutated(signed, 4),
    mimeTree.map((t) => Buffer.from(renderMime(t))),
    fc.constantFrom(deeplyNested(40), deeplyNested(400)),
    fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    fc.constant(Buffer.from(`From: ${ali.address}\r\nSubject: long\r\n\r\n${'x'.repeat(5000)}\r\n`)),
  );
  return fc.oneof(
    { weight: 5, arbitrary: cmd.map((text) => ({ kind: 'line' as const, text })) },
    { weight: 3, arbitrary: cmd.chain((c) => mutated(c, 3)).map((text) => ({ kind: 'line' as const, text })) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('data' as const), body, stuff: fc.boolean(), envelope: fc.boolean() }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => ({ kind: 'raw' as const, bytes: Buffer.from(a) })) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20000 }).map((n) => ({ kind: 'line' as const, text: Buffer.alloc(n, 0x41) })) },
  );
}

const sessionArb = () =>
  fc.record({
    mode: fc.constantFrom('plain', 'starttls-auth', 'implicit-auth', 'implicit'),
    steps: fc.array(stepArb(), { minLength: 1, maxLength: 12 }),
  });

/** Reads one complete reply (up to its final line); notes any malformed line. */
async function readReply(s: LineSocket, bad: string[], timeoutMs: number): Promise<string | undefined> {
  for (;;) {
    const line = await s.readLine(timeoutMs);
    if (line === 'timeout' || line === 'closed') return undefined;
    if (!REPLY.test(line)) bad.push(line);
    if (/^\d{3}(?: |$)/.test(line)) return line;
  }
}

async function open(mode: string, bad: string[]): Promise<LineSocket> {
  const implicit = mode.startsWith('implicit');
  const s = await LineSocket.connect(implicit ? d.ports.submissions : d.ports.submission, implicit ? { tls: { ca: d.caPem } } : {});
  await readReply(s, bad, 5000);
  if (mode === 'plain' || mode === 'implicit') return s;
  s.write('EHLO fuzz.test\r\n');
  await readReply(s, bad, 5000);
  if (mode === 'starttls-auth') {
    s.write('STARTTLS\r\n');
    const r = await readReply(s, bad, 5000);
    if (!r?.startsWith('220')) throw new Error(`STARTTLS refused: ${r}`);
    await s.startTls(d.caPem);
    s.write('EHLO fuzz.test\r\n');
    await readReply(s, bad, 5000);
  }
  s.write(`AUTH PLAIN ${Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64')}\r\n`);
  const auth = await readReply(s, bad, 5000);
  if (!auth?.startsWith('235')) throw new Error(`AUTH failed: ${auth}`);
  return s;
}

async function runSession(session: { mode: string; steps: Step[] }): Promise<void> {
  const bad: string[] = [];
  const s = await open(session.mode, bad);
  try {
    for (const step of session.steps) {
      if (s.closed) break;
      if (step.kind === 'raw') {
        s.write(step.bytes);
        await readReply(s, bad, 300);
      } else if (step.kind === 'line') {
        s.write(Buffer.concat([step.text, Buffer.from('\r\n')]));
        await readReply(s, bad, 1500);
      } else {
        // Mostly a whole transaction, so the message reaches the submission pipeline.
        if (step.envelope) {
          s.write(`MAIL FROM:<${ali.address}>\r\n`);
          await readReply(s, bad, 5000);
          s.write(`RCPT TO:<${ayse.address}>\r\n`);
          await readReply(s, bad, 5000);
        }
        s.write('DATA\r\n');
        const go = await readReply(s, bad, 3000);
        const text = step.body.toString('latin1');
        const body = step.stuff ? text.replace(/(^|\r\n)\./g, '$1..') : text;
        s.write(Buffer.from(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
        if (go?.startsWith('354')) await readReply(s, bad, 15000);
      }
    }
    // Whatever state the fuzz left the session in, it must end: out of DATA, then QUIT.
    s.write('\r\n.\r\nQUIT\r\n');
    const closed = await s.waitClosed(15000);
    expect({ closed, bad }).toEqual({ closed: true, bad: [] });
  } finally {
    s.destroy();
  }
}

async function wellBehavedGreeting(): Promise<void> {
  const bad: string[] = [];
  const s = await LineSocket.connect(d.ports.submission);
  try {
    expect(await readReply(s, bad, 5000)).toMatch(/^220 /);
    s.write('EHLO check.test\r\n');
    expect(await readReply(s, bad, 5000)).toMatch(/^250 /);
    s.write('QUIT\r\n');
    expect(await readReply(s, bad, 5000)).toMatch(/^221 /);
    expect(bad).toEqual([]);
  } finally {
    s.destroy();
  }
}

test(
  'random and mutated SMTP sessions: well-formed replies, clean close, no crash, a fresh client is always served, memory bounded',
  async () => {
    await wellBehavedGreeting();
    const rssBefore = d.rssKb();
    let sessions = 0;
    await d.explain(() =>
      fc.assert(
      fc.asyncProperty(sessionArb(), async (session) => {
        await runSession(session);
        sessions++;
        expect(d.alive()).toBe(true);
        await wellBehavedGreeting();
      }),
        { ...fuzzParams(25), endOnFailure: !soaking() },
      ),
    );
    expect(sessions).toBeGreaterThanOrEqual(fuzzRuns(25));
    // A real client still gets a signed message accepted.
    const p = { daemon: { ports: d.ports }, caPem: d.caPem } as unknown as TestProvider;
    const ok = await submit(p, ali, signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'after fuzz' }, ali.certPath, ali.keyPath), { to: [ayse.address] });
    expect(ok.response).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(d.alive()).toBe(true);
    // Nothing failed unexpectedly inside (an untyped error is logged at error level).
    const errors = d.lines.filter((l) => /"level":(50|60)/.test(l));
    expect(errors).toEqual([]);
    // Bounded: a few hundred sessions must not grow the daemon by more than this.
    const grownMb = (d.rssKb() - rssBefore) / 1024;
    if (soaking()) process.stderr.write(`smtp fuzz: ${sessions} sessions, daemon RSS ${Math.round(rssBefore / 1024)} MB -> ${Math.round(d.rssKb() / 1024)} MB\n`);
    expect(grownMb).toBeLessThan(256);
  },
  soaking() ? 6 * 60 * 60_000 : 180_000,
);
