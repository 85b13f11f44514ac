/**
 * Logs at the most verbose level carry neither passwords (LOGIN, AUTHENTICATE PLAIN, a LOGIN
 * line that fails to parse) nor message content (FETCH, APPEND).
 */
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/log';
import { RawImap, rawLogin, startImapHarness, type ImapHarness } from '../support/imap';
import { simpleMessage } from '../support/imap-messages';

let h: ImapHarness;
let logText = '';
const SECRET_BODY = 'GIZLI-ICERIK-8d1f0c';

beforeAll(async () => {
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (logText += chunk.toString('utf8')));
  h = await startImapHarness({ logger: createLogger({ level: 'trace', destination: sink }) });
  await h.deliver(h.alice, 'INBOX', simpleMessage({ subject: 'secret', body: SECRET_BODY }), 'dispatch');
});

afterAll(async () => {
  await h?.close();
});

it('never logs passwords or message bodies', async () => {
  const raw = await RawImap.connect(h.tlsPort, { tls: { ca: h.caPem } });
  await raw.command(`LOGIN ${h.alice.address} "not-the-password-3b9"`);
  await raw.command(`LOGIN ${h.alice.address} "unterminated-password-77a`);
  const plain = Buffer.from(`\0${h.alice.address}\0${h.password}`).toString('base64');
  expect((await raw.command(`AUTHENTICATE PLAIN ${plain}`)).tagged).toMatch(/ OK /);
  await raw.command('SELECT INBOX');
  const fetched = await raw.command('FETCH 1 (BODY[] BODY[TEXT] RFC822)');
  expect(fetched.raw.toString()).toContain(SECRET_BODY);
  const appended = simpleMessage({ subject: 'appended', body: `${SECRET_BODY}-appended` });
  raw.write(`A1 APPEND INBOX {${appended.length}}\r\n`);
  await raw.readLine();
  raw.write(Buffer.concat([appended, Buffer.from('\r\n')]));
  expect((await raw.collect('A1')).tagged).toMatch(/ OK /);
  await raw.command('LOGOUT').catch(() => undefined);
  await raw.close();
  const other = await rawLogin(h, h.bob);
  await other.close();
  // give the logger a moment to flush what the closes produce
  await new Promise((resolve) => setImmediate(resolve));

  expect(logText.length).toBeGreaterThan(0);
  for (const secret of [h.password, 'not-the-password-3b9', 'unterminated-password-77a', plain, SECRET_BODY]) {
    expect(logText).not.toContain(secret);
  }
});
