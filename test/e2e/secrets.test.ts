/**
 * Secrets: a full run of the daemon process at debug level (submissions accepted and refused,
 * logins right and wrong over SMTP and IMAP, malformed LOGIN lines, APPEND, FETCH of bodies),
 * then everything it printed is searched for passwords, message bodies and private-key
 * material. And the daemon does not start on a private key others could read or that belongs
 * to another user.
 */
import { chmodSync, chownSync, readFileSync, readdirSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { KeyFileError } from '../../src/pki/errors';
import { startProvider, submit, type TestProvider } from '../support/e2e';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process';
import { LineSocket } from '../support/line-socket';
import { signWithOpenssl, unsigned } from '../support/smime';

const BODY = 'GOVDE-GIZLI-5e1c9a';
const SUBJECTLESS_BODY = 'TASLAK-GIZLI-0b77d2';
const WRONG = 'yanlis-parola-3f9e';
const HALF_LOGIN = 'yarim-parola-81ac';

/** Every form a key's secret could take in a log: PEM lines, DER in base64 and hex, the private scalar. */
function keyMaterial(pem: string): string[] {
  const out = pem
    .split(/\r?\n/)
    .filter((l) => l && !l.startsWith('-----'))
    .filter((l) => l.length >= 24);
  const key = createPrivateKey(pem);
  const der = key.export({ format: 'der', type: 'pkcs8' });
  out.push(der.toString('base64').slice(40, 80), der.toString('hex').slice(80, 160));
  const jwk = key.export({ format: 'jwk' }) as { d?: string };
  if (jwk.d) {
    const d = Buffer.from(jwk.d, 'base64url');
    out.push(jwk.d.slice(0, 24), d.toString('base64').slice(0, 24), d.toString('hex').slice(0, 32));
  }
  return out;
}

describe('a whole run at debug level logs no secret', () => {
  let d: DaemonProcess;
  afterAll(async () => {
    if (d) {
      await d.stop();
      d.cleanup();
    }
  });

  test('no password, no message body, no private key material in stdout or stderr', async () => {
    d = await startDaemonProcess(['ali.veli', 'ayse.kaya', 'mehmet.oz'], { KEPD_LOG_LEVEL: 'debug', KEPD_AUTH_MAX_FAILURES_PER_ACCOUNT: '2' });
    const ali = d.users['ali.veli']!;
    const ayse = d.users['ayse.kaya']!;
    const mehmet = d.users['mehmet.oz']!;
    const p = { daemon: { ports: d.ports }, caPem: d.caPem } as unknown as TestProvider;

    // SMTP: accepted, refused after DATA, wrong password, lockout.
    const signed = signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'Gizli konu', body: `${BODY}\r\n` }, ali.certPath, ali.keyPath);
    expect((await submit(p, ali, signed, { to: [ayse.address] })).response).toMatch(/^250 /);
    expect((await submit(p, ali, unsigned({ from: ali.address, to: [ayse.address], subject: 'x', body: `${BODY}\r\n` }), { to: [ayse.address] })).response).toMatch(/^550 /);
    for (let i = 0; i < 3; i++) await submit(p, { address: mehmet.address, password: WRONG }, signed, { to: [ali.address] });

    // IMAP: wrong LOGIN, malformed LOGIN lines, AUTHENTICATE PLAIN, reading bodies, APPEND.
    const raw = await LineSocket.connect(d.ports.imaps, { tls: { ca: d.caPem } });
    await raw.readLine(5000);
    for (const line of [`a LOGIN ${mehmet.address} ${WRONG}`, `b LOGIN "${mehmet.address}" "${HALF_LOGIN}`, `c AUTHENTICATE PLAIN ${Buffer.from(`\0${mehmet.address}\0${WRONG}`).toString('base64')}`, `d LOGIN {5}`]) {
      raw.write(`${line}\r\n`);
      await raw.readLine(3000);
    }
    raw.destroy();
    const c = new ImapFlow({ host: '127.0.0.1', port: d.ports.imaps, secure: true, auth: { user: ali.address, pass: ali.password }, tls: { ca: [d.caPem], servername: 'localhost' }, logger: false });
    await c.connect();
    await c.append('Drafts', `From: ${ali.address}\r\n\r\n${SUBJECTLESS_BODY}\r\n`);
    await c.logout();
    const r = new ImapFlow({ host: '127.0.0.1', port: d.ports.imaps, secure: true, auth: { user: ayse.address, pass: ayse.password }, tls: { ca: [d.caPem], servername: 'localhost' }, logger: false });
    await r.connect();
    const lock = await r.getMailboxLock('INBOX');
    try {
      for await (const m of r.fetch('1:*', { source: true })) expect(m.source?.includes(BODY)).toBe(true);
    } finally {
      lock.release();
      await r.logout();
    }
    expect(await d.stop()).toBe(0);

    const everything = [...d.lines, ...d.stderr].join('\n');
    // The run did log, at debug level too.
    expect(d.lines.some((l) => /"level":20/.test(l))).toBe(true);
    expect(everything).toContain('submission accepted');
    expect(everything).toContain('login failed');

    const keys = readdirSync(join(d.dir, 'pki'))
      .filter((f) => f.endsWith('.key.pem'))
      .map((f) => readFileSync(join(d.dir, 'pki', f), 'utf8'));
    keys.push(ali.keyPem, ayse.keyPem);
    expect(keys.length).toBeGreaterThanOrEqual(6);
    const secrets = [
      ali.password,
      ayse.password,
      WRONG,
      HALF_LOGIN,
      Buffer.from(`\0${ali.address}\0${ali.password}`).toString('base64'),
      Buffer.from(`\0${mehmet.address}\0${WRONG}`).toString('base64'),
      mehmet.password,
      Buffer.from(ali.password).toString('base64'),
      BODY,
      Buffer.from(BODY).toString('base64'),
      SUBJECTLESS_BODY,
      'PRIVATE KEY',
      ...keys.flatMap(keyMaterial),
    ];
    for (const secret of secrets) expect({ secret, found: everything.includes(secret) }).toEqual({ secret, found: false });
  }, 120_000);
});

describe('private keys must be the daemon user’s alone', () => {
  test.each([
    ['tls.key.pem', 'mode', /tls\.key\.pem is accessible by group or others \(mode 640\); fix it with: chmod 600/],
    ['provider.key.pem', 'mode', /provider\.key\.pem is accessible by group or others \(mode 640\)/],
    ['tsa.key.pem', 'owner', /tsa\.key\.pem belongs to uid 4242, not to the user kepd runs as \(uid \d+\); fix it with: chown/],
    ['tls.key.pem', 'owner', /tls\.key\.pem belongs to uid 4242/],
  ])('%s with a wrong %s: the daemon refuses to start, naming the file and the fix', async (file, what, message) => {
    let dir = '';
    const start = startProvider({
      configure: (d) => {
        dir = d;
        const path = join(d, 'pki', file);
        if (what === 'mode') chmodSync(path, 0o640);
        else chownSync(path, 4242, 4242);
      },
    });
    await expect(start).rejects.toBeInstanceOf(KeyFileError);
    await expect(start).rejects.toThrow(message);
    const { rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
  });
});
