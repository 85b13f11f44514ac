/**
 * kepd as an operator runs it: `kepd init`, `kepd account create`, `kepd pki issue-user`, then
 * `kepd start` as a child process with every listener moved to a free high port through
 * KEPD_* environment variables (and the per-address/per-account connection caps raised, see
 * CONNECTION_LIMITS). Its JSON log goes to a file in the run dir.
 *
 * Delivery is observed read-only in the embedded store (`<data>/db/kepd.sqlite`, schema in
 * src/store/embedded/migrations.ts): a message counts as delivered once its
 * DeliveryNonDeliveryToRecipient/Delivery evidence is archived (the dispatch job appends the
 * dispatch to the recipient's INBOX in the same commit). One small indexed query per poll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { onCleanup } from './cleanup';
import type { Signer } from './messages';
import { BenchError, log, portOpen, run, runOk, sleep, waitFor } from './util';

/** Raised connection caps (see env()); the same treatment as Dovecot's mail_max_userip_connections. */
export const CONNECTION_LIMITS: Record<string, string> = {
  KEPD_SMTP_MAX_CONNECTIONS_PER_IP: '100',
  KEPD_SMTP_MAX_CONNECTIONS_PER_ACCOUNT: '100',
  KEPD_IMAP_MAX_CONNECTIONS_PER_IP: '100',
  KEPD_IMAP_MAX_CONNECTIONS_PER_ACCOUNT: '100',
};

export interface KepdPorts {
  submission: number;
  submissions: number;
  relay: number;
  imap: number;
  imaps: number;
  api: number;
}

export interface KepdOptions {
  repo: string;
  dataDir: string;
  domain: string;
  ports: KepdPorts;
  logFile: string;
}

export interface MessageCheck {
  id: string;
  acceptance: boolean;
  delivery: boolean;
  inInbox: boolean;
}

export class KepdInstance {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private db: Database.Database | undefined;

  constructor(readonly opts: KepdOptions) {}

  private get bin(): string {
    return join(this.opts.repo, 'bin', 'kepd.js');
  }

  private env(): NodeJS.ProcessEnv {
    const p = this.opts.ports;
    return {
      ...process.env,
      KEPD_HOST: '127.0.0.1',
      KEPD_SMTP_SUBMISSION_PORT: String(p.submission),
      KEPD_SMTP_SUBMISSIONS_PORT: String(p.submissions),
      KEPD_SMTP_RELAY_PORT: String(p.relay),
      KEPD_IMAP_PORT: String(p.imap),
      KEPD_IMAP_TLS_PORT: String(p.imaps),
      KEPD_API_PORT: String(p.api),
      // Abuse limits, not performance settings: every session of the load generator comes from
      // 127.0.0.1 and one account, so the defaults (SMTP: 20 per address, 10 per account) would
      // refuse the 20-session rows. Unknown keys are ignored by older builds.
      ...CONNECTION_LIMITS,
    };
  }

  /** Undefined when kepd is built and its CLI answers; otherwise why not. */
  static async unavailable(repo: string): Promise<string | undefined> {
    const bin = join(repo, 'bin', 'kepd.js');
    if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) return 'dist/cli/main.js is missing (npm run build)';
    const r = await run(process.execPath, [bin, '--help'], { timeoutMs: 30_000 }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    if (r.code !== 0) return `\`node bin/kepd.js --help\` exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 6).join(' | ')}`;
    return undefined;
  }

  async cli(args: string[], timeoutMs = 60_000): Promise<string> {
    return runOk(process.execPath, [this.bin, ...args], { env: this.env(), timeoutMs, cwd: this.opts.repo });
  }

  async init(): Promise<void> {
    await this.cli(['init', '--data', this.opts.dataDir, '--domain', this.opts.domain, '--name', 'kepd bench KEPHS']);
  }

  /** An active account with a quota large enough for the whole run. */
  async createAccount(address: string, password: string): Promise<void> {
    await this.cli(['account', 'create', address, '--password', password, '--data', this.opts.dataDir, '--quota', String(2 ** 40)]);
  }

  async issueUser(address: string, outDir: string): Promise<Signer> {
    await this.cli(['pki', 'issue-user', address, '--data', this.opts.dataDir, '--out', outDir]);
    return { certPath: join(outDir, 'cert.pem'), keyPath: join(outDir, 'key.pem') };
  }

  caPem(): Buffer {
    return readFileSync(join(this.opts.dataDir, 'pki', 'ca.pem'));
  }

  async start(): Promise<void> {
    const out = openSync(this.opts.logFile, 'a');
    onCleanup('kepd', () => this.stop());
    const child = spawn(process.execPath, [this.bin, 'start', '--data', this.opts.dataDir], {
      env: this.env(),
      cwd: this.opts.repo,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const { submissions, imaps } = this.opts.ports;
    await waitFor(`kepd listening on ${submissions} (SMTP) and ${imaps} (IMAP)`, 60_000, async () => {
      if (child.exitCode !== null) throw new BenchError(`kepd exited ${child.exitCode}:\n${this.tailLog(20)}`);
      return (await portOpen(submissions)) && (await portOpen(imaps));
    }).catch((e: Error) => {
      throw new BenchError(`${e.message}\n${this.tailLog(20)}`);
    });
    log(`kepd: running (pid ${child.pid}), submissions 127.0.0.1:${submissions}, imaps 127.0.0.1:${imaps}, data ${this.opts.dataDir}`);
  }

  running(): boolean {
    return !!this.child && this.child.exitCode === null;
  }

  pid(): number {
    if (!this.child?.pid) throw new BenchError('kepd is not running');
    return this.child.pid;
  }

  private store(): Database.Database {
    if (!this.db) {
      const file = join(this.opts.dataDir, 'db', 'kepd.sqlite');
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
    }
    return this.db;
  }

  /** Highest evidence sequence number so far (a watermark for counting). */
  evidenceSeq(): number {
    const r = this.store().prepare('SELECT coalesce(max(seq), 0) AS s FROM evidence').get() as { s: number };
    return r.s;
  }

  /** Delivery evidences archived after the watermark. */
  deliveredSince(seq: number): number {
    const r = this.store()
      .prepare("SELECT count(*) AS n FROM evidence WHERE seq > ? AND type = 'DeliveryNonDeliveryToRecipient' AND event = 'Delivery'")
      .get(seq) as { n: number };
    return r.n;
  }

  /** created_at (epoch ms) of the newest Delivery evidence after the watermark. */
  lastDeliveryAt(seq: number): number | undefined {
    const r = this.store()
      .prepare("SELECT max(created_at) AS t FROM evidence WHERE seq > ? AND type = 'DeliveryNonDeliveryToRecipient' AND event = 'Delivery'")
      .get(seq) as { t: number | null };
    return r.t ?? undefined;
  }

  /**
   * Jobs due and not done (receipts, dispatches …): the daemon is idle when this is 0. Jobs
   * waiting for a retry later are not counted (they are reported by failedJobs instead).
   */
  pendingJobs(): number {
    const r = this.store()
      .prepare("SELECT count(*) AS n FROM jobs WHERE state = 'running' OR (state = 'pending' AND run_at <= ?)")
      .get(Date.now()) as { n: number };
    return r.n;
  }

  /** Jobs created since `sinceMs` (epoch ms) that failed at least once. */
  failedJobs(sinceMs: number): Array<{ kind: string; attempts: number; last_error: string }> {
    return this.store()
      .prepare('SELECT kind, attempts, last_error FROM jobs WHERE last_error IS NOT NULL AND created_at >= ? LIMIT 5')
      .all(sinceMs) as Array<{ kind: string; attempts: number; last_error: string }>;
  }

  /** For each provider message id: acceptance and delivery evidence archived, dispatch in the INBOX. */
  checkMessages(ids: string[]): MessageCheck[] {
    const db = this.store();
    const ev = db.prepare('SELECT type, event FROM evidence WHERE message_id = ?');
    const inbox = db.prepare(
      "SELECT count(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE m.provider_message_id = ? AND m.kind = 'dispatch' AND b.path = 'INBOX'",
    );
    return ids.map((id) => {
      const rows = ev.all(id) as Array<{ type: string; event: string }>;
      return {
        id,
        acceptance: rows.some((r) => r.type === 'SubmissionAcceptanceRejection' && r.event === 'Acceptance'),
        delivery: rows.some((r) => r.type === 'DeliveryNonDeliveryToRecipient' && r.event === 'Delivery'),
        inInbox: (inbox.get(id) as { n: number }).n > 0,
      };
    });
  }

  async stop(): Promise<void> {
    try {
      this.db?.close();
    } catch {
      // ignore
    }
    this.db = undefined;
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([this.exited!.then(() => true), sleep(30_000).then(() => false)]);
      if (!done) {
        log('kepd did not drain within 30 s of SIGTERM; killing it');
        child.kill('SIGKILL');
      }
    }
  }

  tailLog(lines = 30): string {
    try {
      return readFileSync(this.opts.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no kepd log)';
    }
  }
}
