/**
 * The `kepd` binary as an operator runs it (spawned processes): init, start/SIGTERM, accounts
 * while the daemon runs, trust add without restart, pki issue-user, evidence list/verify,
 * and clear messages with exit code 2 on bad input.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DOMAIN, removeDir, submit, testEnv, type TestProvider } from '../support/e2e';
import { queuedId } from '../support/e2e-inspect';
import { tool } from '../support/evidence-fixtures';
import { signWithOpenssl } from '../support/smime';

const BIN = join(__dirname, '../../bin/kepd.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kepd(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface Daemon {
  child: ChildProcess;
  ports: Record<string, number>;
  lines: string[];
  exited: Promise<number | null>;
}

function startDaemon(dir: string): Promise<Daemon> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start', '--data', dir], { env: { ...process.env, ...testEnv() } });
    const lines: string[] = [];
    const ports: Record<string, number> = {};
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${lines.join('\n')}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const rec = JSON.parse(line) as { msg?: string; service?: string; port?: number };
        if (rec.msg === 'listening' && rec.service && rec.port) ports[rec.service] = rec.port;
        if (Object.keys(ports).length === 4) {
          clearTimeout(timer);
          resolve({ child, ports, lines, exited });
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}: ${lines.join('\n')}`));
    });
  });
}

let dir: string;
let daemon: Daemon | undefined;

beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'kepd-cli-')), 'data');
});

afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  removeDir(join(dir, '..'));
});

test('init creates kepd.toml and a development PKI that openssl verifies; a second init changes nothing', async () => {
  const first = await kepd(['init', '--data', dir, '--domain', DOMAIN, '--name', 'CLI Test KEPHS']);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain('created kepd.toml');
  for (const f of ['provider', 'tsa', 'tls']) {
    const v = await tool('openssl', ['verify', '-CAfile', join(dir, 'pki', 'ca.pem'), join(dir, 'pki', `${f}.pem`)]);
    expect(v.stdout).toContain(': OK');
  }
  const tsaPurpose = await tool('openssl', ['x509', '-in', join(dir, 'pki', 'tsa.pem'), '-noout', '-ext', 'extendedKeyUsage']);
  expect(tsaPurpose.stdout).toMatch(/critical[\s\S]*Time Stamping/);
  const hashes = ['ca.key.pem', 'provider.key.pem', 'tsa.key.pem', 'tls.key.pem', 'ca.pem'].map((f) =>
    createHash('sha256').update(readFileSync(join(dir, 'pki', f))).digest('hex'),
  );
  const again = await kepd(['init', '--data', dir, '--domain', 'other.example']);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('kept existing kepd.toml');
  expect(['ca.key.pem', 'provider.key.pem', 'tsa.key.pem', 'tls.key.pem', 'ca.pem'].map((f) => createHash('sha256').update(readFileSync(join(dir, 'pki', f))).digest('hex'))).toEqual(hashes);
});

test('bad input: clear messages and exit code 2', async () => {
  const noDir = await kepd(['account', 'create', `ali.veli@${DOMAIN}`, '--password', 'long-enough-1', '--data', join(dir, 'missing')]);
  expect(noDir.code).toBe(2);
  expect(noDir.stderr).toMatch(/does not exist.*kepd init/);

  const turkish = await kepd(['account', 'create', `ayşe.kaya@${DOMAIN}`, '--password', 'long-enough-1', '--data', dir]);
  expect(turkish.code).toBe(2);
  expect(turkish.stderr).toContain(`did you mean "ayse.kaya@${DOMAIN}"`);

  const shape = await kepd(['account', 'create', `aliveli@${DOMAIN}`, '--password', 'long-enough-1', '--data', dir]);
  expect(shape.code).toBe(2);
  expect(shape.stderr).toMatch(/ad\.soyad/);

  const foreign = await kepd(['account', 'create', 'ali.veli@gmail.com', '--password', 'long-enough-1', '--data', dir]);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr).toMatch(/not on this provider's domain/);

  const ok = await kepd(['account', 'create', `ali.veli@${DOMAIN}`, '--password', 'long-enough-1', '--data', dir]);
  expect(ok.code).toBe(0);
  expect(ok.stdout.trim()).toMatch(/^[0-9A-Z]{26}$/);
  const taken = await kepd(['account', 'create', `Ali.Veli@${DOMAIN}`, '--password', 'long-enough-1', '--data', dir]);
  expect(taken.code).toBe(2);
  expect(taken.stderr).toMatch(/already taken/);

  const unknownCmd = await kepd(['account', 'frobnicate', '--data', dir]);
  expect(unknownCmd.code).toBe(2);
});

test('the daemon runs from the CLI; accounts, certificates and trusted CAs are managed while it runs; SIGTERM drains and exits 0', async () => {
  daemon = await startDaemon(dir);
  expect(daemon.lines.every((l) => JSON.parse(l) && true)).toBe(true);

  expect((await kepd(['account', 'create', `ayse.kaya@${DOMAIN}`, '--password', 'ayse-secret-1', '--data', dir])).code).toBe(0);
  const show = await kepd(['account', 'show', `ayse.kaya@${DOMAIN}`, '--data', dir, '--json']);
  expect(show.code).toBe(0);
  expect(JSON.parse(show.stdout)).toMatchObject({ address: `ayse.kaya@${DOMAIN}`, state: 'active', type: 'person', quota: { usedBytes: 0, limitBytes: 104857600 } });

  // A user whose certificate comes from a CA that is not trusted yet.
  const out = join(dir, '..', 'ali');
  const caDir = join(dir, '..', 'foreign-ca');
  await tool('mkdir', ['-p', caDir]);
  await tool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(caDir, 'ca.key'), '-out', join(caDir, 'ca.pem'), '-days', '30', '-subj', '/CN=Foreign Qualified CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await tool('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(caDir, 'ali.key'), '-out', join(caDir, 'ali.csr'), '-subj', '/CN=Ali Veli']);
  writeFileSync(join(caDir, 'ext.cnf'), `subjectAltName=email:ali.veli@${DOMAIN}\nextendedKeyUsage=emailProtection\nkeyUsage=digitalSignature,nonRepudiation\n`);
  await tool('openssl', ['x509', '-req', '-in', join(caDir, 'ali.csr'), '-CA', join(caDir, 'ca.pem'), '-CAkey', join(caDir, 'ca.key'), '-CAcreateserial', '-days', '10', '-extfile', join(caDir, 'ext.cnf'), '-out', join(caDir, 'ali.pem')]);
  const p = { daemon: { ports: { submission: daemon.ports.submission!, submissions: daemon.ports.submissions! } }, caPem: readFileSync(join(dir, 'pki', 'ca.pem'), 'utf8') } as unknown as TestProvider;
  const ali = { address: `ali.veli@${DOMAIN}`, password: 'long-enough-1' };
  const raw = signWithOpenssl({ from: ali.address, to: [`ayse.kaya@${DOMAIN}`], subject: 'Yabancı CA' }, join(caDir, 'ali.pem'), join(caDir, 'ali.key'));
  const before = await submit(p, ali, raw, { to: [`ayse.kaya@${DOMAIN}`] });
  expect(before.response).toMatch(/^550 5\.7\.5 /);

  const notCa = await kepd(['trust', 'add', join(caDir, 'ali.pem'), '--data', dir]);
  expect(notCa.code).toBe(2);
  expect(notCa.stderr).toMatch(/not a CA/i);
  const trust = await kepd(['trust', 'add', join(caDir, 'ca.pem'), '--data', dir]);
  expect(trust.code).toBe(0);
  const after = await submit(p, ali, raw, { to: [`ayse.kaya@${DOMAIN}`] });
  expect(after.response).toMatch(/^250 2\.0\.0 /);
  const id = queuedId(after.response);

  // pki issue-user: a dev certificate openssl accepts for S/MIME.
  const issued = await kepd(['pki', 'issue-user', `ayse.kaya@${DOMAIN}`, '--data', dir, '--out', out]);
  expect(issued.code).toBe(0);
  expect((await tool('openssl', ['verify', '-purpose', 'smimesign', '-CAfile', join(dir, 'pki', 'ca.pem'), join(out, 'cert.pem')])).stdout).toContain(': OK');

  // Evidence list (waits for the delivery evidence) and verify.
  let rows: Array<{ id: string; type: string; event: string }> = [];
  for (let i = 0; i < 100 && rows.length < 2; i++) {
    const list = await kepd(['evidence', 'list', '--data', dir, '--message', id, '--json']);
    rows = JSON.parse(list.stdout) as typeof rows;
    if (rows.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  expect(rows.map((r) => `${r.type}/${r.event}`).sort()).toEqual(['DeliveryNonDeliveryToRecipient/Delivery', 'SubmissionAcceptanceRejection/Acceptance']);
  const evFile = join(dir, '..', 'evidence.xml');
  expect((await kepd(['evidence', 'show', rows[0]!.id, '--data', dir, '--out', evFile])).code).toBe(0);
  const shown = await kepd(['evidence', 'show', rows[0]!.id, '--data', dir]);
  expect(Buffer.from(shown.stdout).equals(readFileSync(evFile))).toBe(true);
  expect((await kepd(['evidence', 'show', 'ev-NOSUCH@kep.test', '--data', dir])).code).toBe(2);
  const good = await kepd(['evidence', 'verify', evFile, '--data', dir]);
  expect(good.code).toBe(0);
  expect(good.stdout).toContain('verification: OK');
  const tamperedFile = join(dir, '..', 'tampered.xml');
  writeFileSync(tamperedFile, readFileSync(evFile, 'utf8').replace(/<rem:EventTime>(\d{4})/, (_m, y: string) => `<rem:EventTime>${Number(y) + 1}`));
  const bad = await kepd(['evidence', 'verify', tamperedFile, '--data', dir, '--json']);
  expect(bad.code).toBe(1);
  expect((JSON.parse(bad.stdout) as { valid: boolean }).valid).toBe(false);
  const garbage = join(dir, '..', 'garbage.bin');
  writeFileSync(garbage, 'this is neither XML nor a REM message\r\n');
  expect((await kepd(['evidence', 'verify', garbage, '--data', dir])).code).toBe(2);
  expect((await kepd(['evidence', 'verify', evFile])).code).toBe(2);

  daemon.child.kill('SIGTERM');
  expect(await daemon.exited).toBe(0);
  expect(daemon.lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
});

test('a private key readable by others stops the daemon from starting, with a clear error', async () => {
  const key = join(dir, 'pki', 'provider.key.pem');
  chmodSync(key, 0o644);
  try {
    const r = await kepd(['start', '--data', dir], testEnv());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/provider\.key\.pem/);
    expect(r.stderr).toMatch(/chmod 600/);
  } finally {
    chmodSync(key, 0o600);
  }
  expect(existsSync(key)).toBe(true);
});
