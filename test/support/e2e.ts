/**
 * Whole-daemon test harness: a fresh data dir (kepd init), a daemon on loopback port 0,
 * accounts with dev-CA certificates, and real clients (nodemailer, imapflow).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { createAccount } from '../../src/accounts/service';
import { initDataDir } from '../../src/cli/init';
import { loadConfig, type KepdConfig } from '../../src/config';
import { Daemon } from '../../src/daemon/daemon';
import type { RuntimeOptions } from '../../src/engine/runtime';
import { createLogger, type Logger } from '../../src/log';
import { issueUserCertificate } from '../../src/pki/user-cert';

export const DOMAIN = 'kep.test';

export interface TestProvider {
  dir: string;
  config: KepdConfig;
  daemon: Daemon;
  caPem: string;
  caPath: string;
  logLines: string[];
  stop(): Promise<void>;
}

export interface TestUser {
  address: string;
  password: string;
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

/** Port 0 everywhere: the OS picks free ports; the daemon reports them. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KEPD_SMTP_SUBMISSION_PORT: '0',
    KEPD_SMTP_SUBMISSIONS_PORT: '0',
    KEPD_SMTP_RELAY_PORT: '0',
    KEPD_IMAP_PORT: '0',
    KEPD_IMAP_TLS_PORT: '0',
    KEPD_API_PORT: '0',
    KEPD_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** A logger whose JSON lines are kept for assertions (e.g. that no secret is ever logged). */
function capturingLogger(lines: string[]): Logger {
  const { Writable } = require('node:stream') as typeof import('node:stream');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return createLogger({ level: 'debug', destination: sink });
}

export async function startProvider(
  options: { env?: Record<string, string>; runtime?: RuntimeOptions; dir?: string; configure?: (dir: string) => void } = {},
): Promise<TestProvider> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kepd-e2e-'));
  await initDataDir(dir, DOMAIN, 'Test KEPHS');
  options.configure?.(dir);
  // In-process daemons run jobs on the main thread (a job thread loads compiled code from dist/);
  // spawned daemons (CLI, fault harness) use job threads as in production.
  const config = loadConfig(dir, testEnv({ KEPD_JOBS_THREADS: '0', ...options.env }));
  const logLines: string[] = [];
  const daemon = await Daemon.start(config, capturingLogger(logLines), options.runtime);
  const caPath = join(dir, 'pki', 'ca.pem');
  return {
    dir,
    config,
    daemon,
    caPem: readFileSync(caPath, 'utf8'),
    caPath,
    logLines,
    async stop() {
      await daemon.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function addUser(
  p: TestProvider,
  local: string,
  opts: { nationalId?: string; keyType?: 'ec' | 'rsa'; certAddress?: string; quotaBytes?: number; receiveOnly?: boolean } = {},
): Promise<TestUser> {
  const address = `${local}@${DOMAIN}`;
  const password = `pw-${local}-secret`;
  await createAccount(p.daemon.runtime.store, DOMAIN, p.config.quota.default_bytes, {
    address,
    password,
    nationalId: opts.nationalId,
    quotaBytes: opts.quotaBytes,
    receiveOnly: opts.receiveOnly,
  });
  const ca = { certPem: p.caPem, keyPem: readFileSync(join(p.dir, 'pki', 'ca.key.pem'), 'utf8') };
  const cert = await issueUserCertificate(ca, {
    address: opts.certAddress ?? address,
    nationalId: opts.nationalId,
    keyType: opts.keyType ?? 'ec',
  });
  const certPath = join(p.dir, `${local}.cert.pem`);
  const keyPath = join(p.dir, `${local}.key.pem`);
  writeFileSync(certPath, cert.certPem);
  writeFileSync(keyPath, cert.keyPem, { mode: 0o600 });
  return { address, password, certPem: cert.certPem, keyPem: cert.keyPem, certPath, keyPath };
}

export interface SendResult {
  ok: boolean;
  /** The final SMTP reply line, e.g. "250 2.0.0 Ok: queued as K..." or "554 5.7.7 ...". */
  response: string;
  code?: number;
}

/** Submits raw bytes over SMTP with nodemailer (STARTTLS on 587-style port, or implicit TLS). */
export async function submit(
  p: TestProvider,
  user: Pick<TestUser, 'address' | 'password'>,
  raw: Buffer,
  envelope: { from?: string; to: string[] },
  opts: { implicitTls?: boolean } = {},
): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: opts.implicitTls ? p.daemon.ports.submissions : p.daemon.ports.submission,
    secure: !!opts.implicitTls,
    requireTLS: !opts.implicitTls,
    auth: { user: user.address, pass: user.password },
    tls: { ca: p.caPem, servername: 'localhost' },
  });
  try {
    const info = await transport.sendMail({ envelope: { from: envelope.from ?? user.address, to: envelope.to }, raw });
    return { ok: true, response: String(info.response) };
  } catch (err) {
    const e = err as { response?: string; responseCode?: number; message: string };
    return { ok: false, response: e.response ?? e.message, code: e.responseCode };
  } finally {
    transport.close();
  }
}

export async function imapLogin(p: TestProvider, user: Pick<TestUser, 'address' | 'password'>): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: p.daemon.ports.imaps,
    secure: true,
    auth: { user: user.address, pass: user.password },
    tls: { ca: [p.caPem], servername: 'localhost' },
    logger: false,
  });
  await client.connect();
  return client;
}

/** Waits until the daemon has no pending jobs (deliveries, receipts, evidence). */
export async function settle(p: TestProvider): Promise<void> {
  await p.daemon.idle(60_000);
}
