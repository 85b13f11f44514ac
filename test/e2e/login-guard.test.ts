/**
 * Failed-login limits on a running daemon, SMTP AUTH and IMAP LOGIN/AUTHENTICATE together:
 * per account and per client address, with temporary lockout (454 4.7.0 / NO [UNAVAILABLE]),
 * expiry, and the append-only audit trail and log lines — never a password.
 */
import { addUser, removeDir, startProvider, submit, type TestProvider, type TestUser } from '../support/e2e';
import { LineSocket } from '../support/line-socket';
import { signWithOpenssl } from '../support/smime';

let p: TestProvider;
let ali: TestUser;
let ayse: TestUser;
let offset = 0;
const WRONG = 'wrong-password-7d3f';

beforeAll(async () => {
  p = await startProvider({
    env: {
      KEPD_AUTH_MAX_FAILURES_PER_ACCOUNT: '3',
      KEPD_AUTH_MAX_FAILURES_PER_IP: '8',
      KEPD_AUTH_FAILURE_WINDOW_MS: '60000',
      KEPD_AUTH_LOCKOUT_MS: '120000',
    },
    // The daemon's clock, moved by the test to let a lockout expire.
    runtime: { now: () => new Date(Date.now() + offset) },
  });
  [ali, ayse] = await Promise.all([addUser(p, 'ali.veli'), addUser(p, 'ayse.kaya')]);
});

afterAll(async () => {
  await p?.stop();
  if (p) removeDir(p.dir);
});

async function smtpAuth(username: string, password: string): Promise<string> {
  const s = await LineSocket.connect(p.daemon.ports.submissions, { tls: { ca: p.caPem } });
  try {
    await s.readLine(5000);
    s.write('EHLO guard.test\r\n');
    for (let l = await s.readLine(5000); typeof l === 'string' && /^250-/.test(l); l = await s.readLine(5000));
    s.write(`AUTH PLAIN ${Buffer.from(`\0${username}\0${password}`).toString('base64')}\r\n`);
    return String(await s.readLine(5000));
  } finally {
    s.destroy();
  }
}

async function imapLogin(username: string, password: string, how: 'LOGIN' | 'AUTHENTICATE' = 'LOGIN'): Promise<string> {
  const s = await LineSocket.connect(p.daemon.ports.imaps, { tls: { ca: p.caPem } });
  try {
    await s.readLine(5000);
    s.write(how === 'LOGIN' ? `a LOGIN "${username}" "${password}"\r\n` : `a AUTHENTICATE PLAIN ${Buffer.from(`\0${username}\0${password}`).toString('base64')}\r\n`);
    for (;;) {
      const l = await s.readLine(5000);
      if (typeof l !== 'string' || l === 'timeout' || l === 'closed' || l.startsWith('a ')) return String(l);
    }
  } finally {
    s.destroy();
  }
}

test('failures for one account over SMTP and IMAP lock it for both protocols; other accounts are not affected; the lock expires', async () => {
  expect(await smtpAuth(ali.address, WRONG)).toMatch(/^535 5\.7\.8 /);
  expect(await imapLogin(ali.address, WRONG)).toMatch(/^a NO \[AUTHENTICATIONFAILED\] /);
  expect(await smtpAuth(ali.address.toUpperCase(), WRONG)).toMatch(/^535 5\.7\.8 /);
  // Locked now: even the right password is refused, on both protocols, without being checked.
  expect(await smtpAuth(ali.address, ali.password)).toBe('454 4.7.0 Too many failed logins for this account; try again in 2 minutes');
  expect(await imapLogin(ali.address, ali.password)).toBe('a NO [UNAVAILABLE] Too many failed logins for this account; try again in 2 minutes');
  expect(await imapLogin(ali.address, ali.password, 'AUTHENTICATE')).toBe('a NO [UNAVAILABLE] Too many failed logins for this account; try again in 2 minutes');
  const raw = signWithOpenssl({ from: ali.address, to: [ayse.address], subject: 'kilitli' }, ali.certPath, ali.keyPath);
  expect((await submit(p, ali, raw, { to: [ayse.address] })).response).toMatch(/^454 4\.7\.0 /);
  // ayse, from the same address, is fine.
  expect(await smtpAuth(ayse.address, ayse.password)).toMatch(/^235 /);
  expect(await imapLogin(ayse.address, ayse.password)).toMatch(/^a OK /);
  offset += 120_001;
  expect(await smtpAuth(ali.address, ali.password)).toMatch(/^235 /);
  expect((await submit(p, ali, raw, { to: [ayse.address] })).response).toMatch(/^250 2\.0\.0 /);
});

test('every attempt is in the append-only audit trail and the log, with name, protocol and client, never the password', async () => {
  const entries = await p.daemon.runtime.store.loginAudit.list({ username: ali.address });
  const outcomes = entries.map((e) => `${e.protocol}:${e.outcome}`).reverse();
  expect(outcomes.slice(0, 5)).toEqual(['smtp:failure', 'imap:failure', 'smtp:failure', 'smtp:lockout', 'smtp:refused']);
  expect(outcomes.filter((o) => o.endsWith(':refused'))).toHaveLength(1);
  expect(outcomes.slice(-2)).toEqual(['smtp:success', 'smtp:success']);
  expect(entries.every((e) => e.client === '127.0.0.1')).toBe(true);
  expect(entries.find((e) => e.outcome === 'lockout')?.detail).toMatch(/^account locked until \d{4}-/);
  expect(entries.find((e) => e.outcome === 'success')?.accountId).toBe((await p.daemon.runtime.store.accounts.getByAddress(ali.address))!.id);
  const logs = p.logLines.join('\n');
  expect(logs).toMatch(/"msg":"login failed"/);
  expect(logs).toMatch(/"msg":"login lockout"/);
  for (const secret of [WRONG, ali.password, ayse.password, Buffer.from(`\0${ali.address}\0${WRONG}`).toString('base64')]) {
    expect(logs).not.toContain(secret);
    expect(JSON.stringify(entries)).not.toContain(secret);
  }
});

test('password spraying from one address locks the address, whatever names it tries', async () => {
  offset += 120_001;
  const names = ['a.b@kep.test', 'c.d@kep.test', 'no.one@kep.test', 'x.y@kep.test', 'e.f@kep.test', 'g.h@kep.test', 'i.j@kep.test', 'k.l@kep.test'];
  for (const [i, name] of names.entries()) {
    const reply = i % 2 ? await imapLogin(name, WRONG) : await smtpAuth(name, WRONG);
    expect(reply).toMatch(/^(535 5\.7\.8|a NO \[AUTHENTICATIONFAILED\]) /);
  }
  expect(await smtpAuth(ayse.address, ayse.password)).toBe('454 4.7.0 Too many failed logins from your address; try again in 2 minutes');
  expect(await imapLogin(ayse.address, ayse.password)).toBe('a NO [UNAVAILABLE] Too many failed logins from your address; try again in 2 minutes');
  offset += 120_001;
  expect(await imapLogin(ayse.address, ayse.password)).toMatch(/^a OK /);
});
