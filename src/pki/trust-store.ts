/**
 * Trust anchors for user S/MIME signatures: every certificate in the `*.pem` files of a
 * directory. Each use checks the directory's mtime (a file added, removed or renamed there,
 * as `kepd trust add` does, shows at once); the files themselves are re-checked at most once a
 * second (an edit in place shows within that), instead of a readdir and a stat per file for
 * every message.
 */
import { promises as fs, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log';
import { parseCertificate } from './certs';
import { CertificateFormatError, NotACaCertificateError } from './errors';
import { writeFileIfMissing } from './files';
import { certificatesFromFile, derToPem } from './pem';

export interface TrustedCertificate {
  file: string;
  der: Buffer;
  subject: string;
  /** Lower-case hex SHA-256 of the DER. */
  sha256: string;
}

/** How long a full listing is trusted while the directory itself is unchanged. */
const RECHECK_FILES_MS = 1000;

export class TrustStore {
  private signature: string | undefined;
  private cached: TrustedCertificate[] = [];
  private dirSignature: string | undefined;
  private checkedAt = -Infinity;
  private refreshing: Promise<TrustedCertificate[]> | undefined;

  constructor(
    readonly dir: string,
    private readonly log?: Logger,
    /** Monotonic milliseconds (tests pass their own). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** DER of every trusted certificate (deduplicated). */
  async certificates(): Promise<Buffer[]> {
    return (await this.entries()).map((e) => e.der);
  }

  async entries(): Promise<TrustedCertificate[]> {
    const dir = this.directorySignature();
    if (dir === this.dirSignature && this.clock() - this.checkedAt < RECHECK_FILES_MS) return this.cached;
    // Concurrent callers share one refresh; none sees the cache before it is filled.
    this.refreshing ??= this.refresh(dir).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(dir: string): Promise<TrustedCertificate[]> {
    const checkedAt = this.clock();
    const files = await this.listing();
    const signature = files.map((f) => `${f.name}:${f.mtimeMs}:${f.size}`).join('|');
    if (signature !== this.signature) {
      this.cached = await this.load(files.map((f) => f.name));
      this.signature = signature;
    }
    this.dirSignature = dir;
    this.checkedAt = checkedAt;
    return this.cached;
  }

  /** Synchronous: one local stat costs microseconds, a trip through the thread pool far more. */
  private directorySignature(): string {
    try {
      const st = statSync(this.dir);
      return `${st.ino}:${st.mtimeMs}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw e;
    }
  }

  private async listing(): Promise<Array<{ name: string; mtimeMs: number; size: number }>> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.pem')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: Array<{ name: string; mtimeMs: number; size: number }> = [];
    for (const name of names) {
      try {
        const st = await fs.stat(join(this.dir, name));
        if (st.isFile()) out.push({ name, mtimeMs: st.mtimeMs, size: st.size });
      } catch {
        // removed between readdir and stat: simply not part of this listing
      }
    }
    return out;
  }

  private async load(names: string[]): Promise<TrustedCertificate[]> {
    const seen = new Set<string>();
    const out: TrustedCertificate[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      try {
        for (const der of certificatesFromFile(await fs.readFile(file))) {
          const cert = parseCertificate(der);
          if (seen.has(cert.sha256)) continue;
          seen.add(cert.sha256);
          out.push({ file, der: cert.der, subject: cert.subject, sha256: cert.sha256 });
        }
      } catch (e) {
        // One bad file must not disable every other anchor.
        this.log?.warn({ file, err: (e as Error).message }, 'ignoring unreadable trust file');
      }
    }
    return out;
  }
}

/**
 * Adds a CA certificate (PEM or DER; a PEM may hold a chain of CA certificates) to the trust
 * directory as `ca-<fingerprint prefix>.pem`. Idempotent.
 */
export async function addTrustedCa(trustDir: string, pem: string | Buffer): Promise<{ file: string; subject: string }> {
  const ders = certificatesFromFile(Buffer.isBuffer(pem) ? pem : Buffer.from(pem));
  const certs = ders.map((d) => parseCertificate(d));
  for (const cert of certs) {
    if (!cert.isCA) {
      throw new NotACaCertificateError(`certificate "${cert.subject}" is not a CA certificate (basicConstraints cA is not set)`);
    }
  }
  if (certs.length === 0) throw new CertificateFormatError('no certificate given');
  await fs.mkdir(trustDir, { recursive: true });
  const file = join(trustDir, `ca-${certs[0].sha256.slice(0, 16)}.pem`);
  await writeFileIfMissing(file, certs.map((c) => derToPem(c.der)).join(''), 0o644);
  return { file, subject: certs[0].subject };
}
