/** Shared helpers for the pki, timestamp and mime tests: temp dirs, openssl, a dev PKI. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureDevPki, type DevPkiResult } from '../../src/pki/dev-pki';
import { loadSigningIdentity } from '../../src/pki/identity';
import { pemToDerList } from '../../src/pki/pem';
import type { SigningIdentity } from '../../src/pki/types';

const run = promisify(execFile);

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs openssl; a non-zero exit is a result, not an exception. */
export async function openssl(args: string[], opts: { cwd?: string; input?: Buffer } = {}): Promise<ToolResult> {
  try {
    const child = run('openssl', args, { cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    if (opts.input) child.child.stdin?.end(opts.input);
    const r = await child;
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** A fresh temp directory and its cleanup. */
export function tempDir(prefix = 'kepd-pki-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DevPkiFixture {
  dir: string;
  pki: DevPkiResult;
  caPem: string;
  caKeyPem: string;
  caDer: Buffer;
  provider: SigningIdentity;
  tsa: SigningIdentity;
  cleanup: () => void;
}

/** A development PKI in a temp directory (the same one `kepd init` makes). */
export async function devPkiFixture(): Promise<DevPkiFixture> {
  const { dir, cleanup } = tempDir();
  const pki = await ensureDevPki({ pkiDir: join(dir, 'pki'), domain: 'kep.test', providerName: 'Test KEP A.Ş.', serviceAddress: 'kep@kep.test' });
  const caPem = readFileSync(pki.paths.ca, 'utf8');
  return {
    dir,
    pki,
    caPem,
    caKeyPem: readFileSync(pki.paths.caKey, 'utf8'),
    caDer: pemToDerList(caPem)[0],
    provider: loadSigningIdentity(pki.paths.provider, pki.paths.providerKey),
    tsa: loadSigningIdentity(pki.paths.tsa, pki.paths.tsaKey),
    cleanup,
  };
}

/** SMTP's view of a message: every bare LF becomes CRLF (existing CRLFs stay as they are). */
export function toCrlf(data: Buffer | string): Buffer {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
  return Buffer.from(buf.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
}

export interface UserCertFiles {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  certDer: Buffer;
}

/** Issues a user certificate from the fixture CA and writes it next to the PKI. */
export async function userCertFiles(
  fx: DevPkiFixture,
  name: string,
  opts: Omit<import('../../src/pki/user-cert').UserCertificateOptions, 'address'> & { address?: string } = {},
): Promise<UserCertFiles> {
  const { issueUserCertificate } = await import('../../src/pki/user-cert');
  const { writeFileSync } = await import('node:fs');
  const { certPem, keyPem } = await issueUserCertificate({ certPem: fx.caPem, keyPem: fx.caKeyPem }, { address: `${name}@kep.test`, ...opts });
  const certPath = join(fx.dir, `${name}.pem`);
  const keyPath = join(fx.dir, `${name}.key.pem`);
  writeFileSync(certPath, certPem);
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  return { certPem, keyPem, certPath, keyPath, certDer: pemToDerList(certPem)[0] };
}
