/**
 * Stock clients as independent checks: Python's imaplib (implicit TLS and STARTTLS) and curl,
 * each verifying the server certificate against the development CA and fetching the stored
 * message, compared byte for byte.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startImapHarness, type ImapHarness } from '../support/imap';
import { dispatchMessage } from '../support/imap-messages';

const run = promisify(execFile);

let h: ImapHarness;
const msg = dispatchMessage();

beforeAll(async () => {
  h = await startImapHarness();
  await h.deliver(h.alice, 'INBOX', msg.bytes, 'dispatch');
});

afterAll(async () => {
  await h?.close();
});

const PYTHON = `
import imaplib, ssl, sys, base64, json
mode, port, ca, user, password = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
if mode == 'tls':
    conn = imaplib.IMAP4_SSL('127.0.0.1', int(port), ssl_context=ctx)
else:
    conn = imaplib.IMAP4('127.0.0.1', int(port))
    before = list(conn.capabilities)
    conn.starttls(ssl_context=ctx)
typ, _ = conn.login(user, password)
assert typ == 'OK', typ
typ, data = conn.select('INBOX')
assert typ == 'OK', typ
count = int(data[0])
typ, fetched = conn.fetch('1', '(BODY.PEEK[])')
assert typ == 'OK', typ
body = fetched[0][1]
typ, header = conn.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
typ, _ = conn.logout()
print(json.dumps({'count': count, 'body': base64.b64encode(body).decode(), 'subject': header[0][1].decode('latin-1'), 'bye': typ}))
`;

interface PythonResult {
  count: number;
  body: string;
  subject: string;
  bye: string;
}

async function python(mode: 'tls' | 'starttls', port: number): Promise<PythonResult> {
  const { stdout } = await run('python3', ['-c', PYTHON, mode, String(port), h.caFile, h.alice.address, h.password], { timeout: 30_000 });
  return JSON.parse(stdout) as PythonResult;
}

it('python imaplib over implicit TLS: LOGIN, SELECT, FETCH BODY[] byte for byte, LOGOUT', async () => {
  const result = await python('tls', h.tlsPort);
  expect(result.count).toBe(1);
  expect(Buffer.from(result.body, 'base64').equals(msg.bytes)).toBe(true);
  expect(result.subject).toMatch(/^Subject: =\?UTF-8\?B\?/);
  expect(result.bye).toBe('BYE');
});

it('python imaplib with STARTTLS on the plain port', async () => {
  const result = await python('starttls', h.port);
  expect(Buffer.from(result.body, 'base64').equals(msg.bytes)).toBe(true);
});

it('curl imaps:// fetches the message by UID, verifying the certificate', async () => {
  const [stored] = await h.store.messages.list((await h.store.mailboxes.get(h.alice.id, 'INBOX'))!.id);
  const { stdout } = await run(
    'curl',
    ['--silent', '--show-error', '--cacert', h.caFile, '-u', `${h.alice.address}:${h.password}`, `imaps://127.0.0.1:${h.tlsPort}/INBOX;UID=${stored.uid}`],
    { encoding: 'buffer', timeout: 30_000, maxBuffer: 10 * 1024 * 1024 },
  );
  expect(Buffer.from(stdout).equals(msg.bytes)).toBe(true);
});

it('curl refuses the server when the CA is not trusted (the check is real)', async () => {
  await expect(
    run('curl', ['--silent', '--show-error', '-u', `${h.alice.address}:${h.password}`, `imaps://127.0.0.1:${h.tlsPort}/INBOX;UID=1`], {
      timeout: 30_000,
      env: { ...process.env, CURL_CA_BUNDLE: '/dev/null', SSL_CERT_FILE: '/dev/null' },
    }),
  ).rejects.toThrow(/certificate/i);
});

it('curl lists the mailboxes', async () => {
  const { stdout } = await run('curl', ['--silent', '--show-error', '--cacert', h.caFile, '-u', `${h.alice.address}:${h.password}`, `imaps://127.0.0.1:${h.tlsPort}/`], {
    timeout: 30_000,
  });
  for (const name of ['INBOX', 'Sent', 'Drafts', 'Trash', 'Delil']) expect(stdout).toMatch(new RegExp(`"${name}"\\s*$`, 'm'));
});
