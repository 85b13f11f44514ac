/**
 * The daemon as a separate process (`bin/kepd.js start`), for tests that must see it crash,
 * measure its memory, or read the logs of a whole run: a fresh data dir with accounts and
 * their certificates, ports from its "listening" lines, RSS from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount } from '../../src/accounts/service';
import { initDataDir } from '../../src/cli/init';
import { openEmbeddedStore } from '../../src/store';
import { issueUserCertificate } from '../../src/pki/user-cert';
import { DOMAIN, removeDir, testEnv, type TestUser } from './e2e';

const BIN = join(__dirname, '../../bin/kepd.js');

export interface DaemonProcess {
  dir: string;
  caPem: string;
  ports: { submission: number; submissions: number; imap: number; imaps: number };
  users: Record<string, TestUser>;
  /** Every stdout line so far (JSON logs). */
  lines: string[];
  stderr: string[];
  child: ChildProcess;
  alive(): boolean;
  /** Resident set size in KiB (Linux /proc). */
  rssKb(): number;
  /** SIGTERM, then waits; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** Removes the data dir (after stop). */
  cleanup(): void;
  /** Runs `fn`; when it fails, the error also tells whether the daemon lives, its stderr and last log lines. */
  explain<T>(fn: () => Promise<T>): Promise<T>;
}

/** Creates the data dir and accounts (`locals`, e.g. ['ali.veli']) and starts the daemon with `env` overrides. */
export async function startDaemonProcess(locals: string[], env: Record<string, string> = {}): Promise<DaemonProcess> {
  const root = mkdtempSync(join(tmpdir(), 'kepd-proc-'));
  const dir = join(root, 'data');
  await initDataDir(dir, DOMAIN, 'Test KEPHS');
  const caPem = readFileSync(join(dir, 'pki', 'ca.pem'), 'utf8');
  const ca = { certPem: caPem, keyPem: readFileSync(join(dir, 'pki', 'ca.key.pem'), 'utf8') };
  const users: Record<string, TestUser> = {};
  const store = await openEmbeddedStore({ dataDir: dir });
  try {
    for (const local of locals) {
      const address = `${local}@${DOMAIN}`;
      const password = `pw-${local}-secret`;
      await createAccount(store, DOMAIN, 104857600, { address, password });
      const cert = await issueUserCertificate(ca, { address, keyType: 'ec' });
      const certPath = join(root, `${local}.cert.pem`);
      const keyPath = join(root, `${local}.key.pem`);
      writeFileSync(certPath, cert.certPem);
      writeFileSync(keyPath, cert.keyPem, { mode: 0o600 });
      users[local] = { address, password, certPem: cert.certPem, keyPem: cert.keyPem, certPath, keyPath };
    }
  } finally {
    await store.close();
  }

  const child = spawn(process.execPath, [BIN, 'start', '--data', dir], { env: { ...process.env, ...testEnv(env) } });
  const lines: string[] = [];
  const stderr: string[] = [];
  const ports: Record<string, number> = {};
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${lines.join('\n')}${stderr.join('')}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        try {
          const rec = JSON.parse(line) as { msg?: string; service?: string; port?: number };
          if (rec.msg === 'listening' && rec.service && rec.port) ports[rec.service] = rec.port;
        } catch {
          // not JSON: kept in lines, the secrets test looks at everything
        }
        if (Object.keys(ports).length === 4) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}: ${lines.join('\n')}${stderr.join('')}`));
    });
  });

  return {
    dir,
    caPem,
    ports: ports as DaemonProcess['ports'],
    users,
    lines,
    stderr,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    rssKb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    cleanup: () => removeDir(root),
    explain: async (fn) => {
      try {
        return await fn();
      } catch (err) {
        const state = child.exitCode === null && child.signalCode === null ? 'running' : `exited (${child.exitCode ?? child.signalCode})`;
        (err as Error).message += `\n--- daemon ${state}\n--- stderr:\n${stderr.join('').slice(-4000)}\n--- last log lines:\n${lines.slice(-15).join('\n')}`;
        throw err;
      }
    },
  };
}
