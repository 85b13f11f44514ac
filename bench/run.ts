/**
 * kepd benchmark: kepd against Postfix (SMTP) and Dovecot (IMAP) on this machine, driven by the
 * same load generator, plus the evidence micro-benchmark. See bench/README.md.
 *
 *   npm run bench [-- --quick] [--reps N] [--skip smtp,big,imap,evidence] [--keep] [--workdir DIR] [--kepd-repo DIR]
 *
 * Writes bench/results/latest.md and latest.json. Exit 0: the run completed (whatever the
 * numbers); 1: the run failed (an error, a lost or rejected message, a server that died);
 * 2: a baseline is not installed or an option is wrong.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installSignalHandlers, onCleanup, runCleanups } from './lib/cleanup';
import { DovecotInstance } from './lib/dovecot';
import type { ImapTarget } from './lib/imap-client';
import { ImapSession } from './lib/imap-client';
import { appendMessages, runImapRow, type ImapSubject } from './lib/imap-workload';
import { KepdInstance } from './lib/kepd';
import { cpuBusyCores, machineInfo, type MachineInfo } from './lib/machine';
import { instance, makeMessage, selfSignedSigner, type MessageTemplate, type Signer } from './lib/messages';
import { PostfixInstance } from './lib/postfix';
import { judgeTargets, renderMarkdown, type EvidenceResult, type Report, type Row, type Sample } from './lib/report';
import { BIG, parseArgs, plan, SIZES, type Options, type Plan, type SizeSpec } from './lib/options';
import { saveProfile, startProfile, withProfilerHook } from './lib/profile-control';
import { runSmtpRow, type SmtpRowResult, type SmtpSubject } from './lib/smtp-workload';
import { BenchError, freePort, log, run, sleep, waitFor } from './lib/util';

const DOMAIN = 'bench.kep';
const PASSWORD = 'bench-Passw0rd-1';
// kepd accepts person addresses of the form ad.soyad[.N]@domain; the baselines use the same names.
const SENDER = `gonderen.bench@${DOMAIN}`;
const smtpUser = (s: SizeSpec): string => `alici.smtp.${s.n}`;
const imapUser = (s: SizeSpec): string => `okuyan.imap.${s.n}`;
/** How long the CPU is watched for other work before the run starts. */
const BUSY_SAMPLE_MS = 3000;

/** Only the measured figures (a row result also carries errors and labels). */
function toSample(r: Sample): Sample {
  return {
    messages: r.messages,
    bytes: r.bytes,
    seconds: r.seconds,
    msgPerSec: r.msgPerSec,
    mbPerSec: r.mbPerSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuSeconds: r.cpuSeconds,
    peakRssBytes: r.peakRssBytes,
    startRssBytes: r.startRssBytes,
  };
}

/** The newest ctime (epoch ms) of the files in a directory. */
function newestCtime(dir: string): number | undefined {
  let newest = 0;
  for (const f of readdirSync(dir)) {
    try {
      newest = Math.max(newest, statSync(join(dir, f)).ctimeMs);
    } catch {
      // gone meanwhile
    }
  }
  return newest || undefined;
}

function countDir(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

class Bench {
  readonly errors: string[] = [];
  readonly notes: string[] = [];
  readonly rows: Row[] = [];
  evidence: EvidenceResult | undefined;
  bigRssIncreaseMb: number | undefined;
  postfix!: PostfixInstance;
  dovecot!: DovecotInstance;
  kepd: KepdInstance | undefined;
  private templates = new Map<string, MessageTemplate>();
  private imapTemplates = new Map<string, MessageTemplate>();
  private signer!: Signer;

  constructor(
    readonly repo: string,
    readonly work: string,
    readonly opts: Options,
    readonly plan: Plan,
  ) {}

  private row(workload: string, size: string, sessions: number, baseline: string): Row {
    let r = this.rows.find((x) => x.workload === workload && x.size === size && x.sessions === sessions);
    if (!r) {
      r = { workload, size, sessions, baseline, kepd: [], base: [] };
      this.rows.push(r);
    }
    return r;
  }

  private fail(msg: string): void {
    log(`ERROR: ${msg}`);
    this.errors.push(msg);
  }

  private sizes(): SizeSpec[] {
    return this.plan.big && !this.opts.skip.has('big') && !this.opts.skip.has('smtp') ? [...this.plan.sizes, BIG] : this.plan.sizes;
  }

  async startServers(kepdProblem: string | undefined): Promise<void> {
    const smtpUsers = this.sizes().map(smtpUser);
    const imapUsers = this.plan.sizes.map(imapUser);
    this.postfix = new PostfixInstance({ dir: join(this.work, 'postfix'), port: await freePort(), domain: DOMAIN, users: smtpUsers });
    await this.postfix.start();
    this.dovecot = new DovecotInstance({ dir: join(this.work, 'dovecot'), port: await freePort(), mailRoot: this.postfix.mailDir, users: imapUsers, password: PASSWORD });
    await this.dovecot.start();

    if (kepdProblem) {
      this.fail(`kepd cannot run: ${kepdProblem}`);
    } else {
      const ports = {
        submission: await freePort(),
        submissions: await freePort(),
        relay: await freePort(),
        imap: await freePort(),
        imaps: await freePort(),
        api: await freePort(),
      };
      const kepd = new KepdInstance({ repo: this.repo, dataDir: join(this.work, 'kepd-data'), domain: DOMAIN, ports, logFile: join(this.work, 'kepd.log') });
      this.kepd = kepd;
      try {
        log('kepd: init, accounts, sender certificate');
        await kepd.init();
        for (const u of [SENDER, ...smtpUsers.map((u) => `${u}@${DOMAIN}`), ...imapUsers.map((u) => `${u}@${DOMAIN}`)]) await kepd.createAccount(u, PASSWORD);
        this.signer = await kepd.issueUser(SENDER, join(this.work, 'sender-cert'));
        await withProfilerHook(this.opts.cpuProf, () => kepd.start());
      } catch (e) {
        // The baselines are still measured; the run is failed.
        this.fail(`kepd could not be set up: ${(e as Error).message}`);
        await kepd.stop();
        this.kepd = undefined;
      }
    }
    if (!this.signer) this.signer = await selfSignedSigner(this.work, SENDER);
  }

  async makeMessages(): Promise<void> {
    const dir = join(this.work, 'messages');
    mkdirSync(dir, { recursive: true });
    for (const s of this.sizes()) {
      this.templates.set(s.tag, await makeMessage(dir, this.signer, SENDER, `${smtpUser(s)}@${DOMAIN}`, s.bytes, s.tag));
    }
    if (!this.opts.skip.has('imap')) {
      for (const s of this.plan.sizes) this.imapTemplates.set(s.tag, await makeMessage(dir, this.signer, SENDER, `${imapUser(s)}@${DOMAIN}`, s.bytes, `imap-${s.tag}`));
    }
    rmSync(dir, { recursive: true, force: true });
    const sizes = [...this.templates.values()].map((t) => `${t.label}=${t.bytes.length}`).join(', ');
    log(`messages signed once: ${sizes} bytes`);
    this.notes.push(`Message sizes on the wire (S/MIME-signed, CRLF): ${sizes} bytes; "1 KB" cannot be smaller than its signature.`);
  }

  // ---- SMTP ----

  private kepdSmtp(): SmtpSubject | undefined {
    const k = this.kepd;
    if (!k || !k.running()) return undefined;
    let rowStart = 0;
    return {
      name: 'kepd',
      target: { port: k.opts.ports.submissions, tlsCa: k.caPem(), auth: { user: SENDER, pass: PASSWORD } },
      pids: () => [k.pid()],
      watermark: () => {
        rowStart = Date.now();
        return k.evidenceSeq();
      },
      delivered: (mark) => k.deliveredSince(mark),
      lastDeliveredAt: (mark) => k.lastDeliveryAt(mark),
      quiesce: async (ms) => {
        await waitFor('kepd to finish its jobs', ms, () => k.pendingJobs() === 0, 50);
      },
      verify: (ids, _mark, _rcpt, expected) => {
        const problems: string[] = [];
        if (ids.length !== expected) problems.push(`kepd: ${expected - ids.length} of ${expected} 250 replies carried no "queued as <ID>"`);
        const checks = k.checkMessages(ids);
        const bad = checks.filter((c) => !c.acceptance || !c.delivery || !c.inInbox);
        if (bad.length) {
          const c = bad[0];
          problems.push(`kepd: ${bad.length} of ${ids.length} messages incomplete (e.g. ${c.id}: acceptance=${c.acceptance} delivery=${c.delivery} inInbox=${c.inInbox})`);
        }
        for (const j of k.failedJobs(rowStart)) problems.push(`kepd: job ${j.kind} failed ${j.attempts} time(s): ${j.last_error}`);
        return problems;
      },
    };
  }

  private postfixSmtp(): SmtpSubject {
    const p = this.postfix;
    const user = (rcpt: string): string => rcpt.split('@')[0];
    return {
      name: 'postfix',
      target: { port: p.port },
      pids: () => [p.masterPid()],
      watermark: (rcpt) => countDir(p.newDir(user(rcpt))),
      delivered: (mark, rcpt) => countDir(p.newDir(user(rcpt))) - mark,
      // A Maildir file's ctime is when it was renamed from tmp/ into new/: the delivery.
      lastDeliveredAt: (_mark, rcpt) => newestCtime(p.newDir(user(rcpt))),
      quiesce: async (ms) => {
        await waitFor('Postfix queue to empty', ms, () => p.queued() === 0, 50);
      },
      verify: (_ids, mark, rcpt, expected) => {
        const got = countDir(p.newDir(user(rcpt))) - mark;
        const problems: string[] = [];
        if (got !== expected) problems.push(`postfix: ${got} messages in Maildir/new, expected ${expected}`);
        if (p.deferred() > 0) problems.push(`postfix: ${p.deferred()} messages deferred:\n${p.tailLog(5)}`);
        return problems;
      },
    };
  }

  private record(row: Row, server: 'kepd' | 'base', r: SmtpRowResult | Awaited<ReturnType<typeof runImapRow>>): void {
    if (r.errors.length) for (const e of r.errors) this.fail(`${row.workload} ${row.size} × ${row.sessions}: ${e}`);
    else (server === 'kepd' ? row.kepd : row.base).push(toSample(r));
    log(
      `  ${row.workload} ${row.size} × ${row.sessions} ${r.server}: ${r.msgPerSec.toFixed(1)} msg/s, ${r.mbPerSec.toFixed(2)} MB/s, ` +
        `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, CPU ${r.cpuSeconds.toFixed(2)} s, peak RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB` +
        (r.errors.length ? ` — ${r.errors.length} error(s)` : ''),
    );
  }

  private kepdGone(): boolean {
    if (this.kepd && !this.kepd.running()) {
      this.fail(`kepd is no longer running; last log lines:\n${this.kepd.tailLog(15)}`);
      this.kepd = undefined;
      return true;
    }
    return false;
  }

  /**
   * Untimed: a few thousand messages through each server before the first row, so that no row
   * measures a cold start (Postfix spawning its daemons; kepd's JIT still compiling: measured
   * with --trace-opt, V8 optimised ~100 functions a second after 300 messages, ~20 a second
   * after 3,000, and the compiler threads took 9–19% of kepd's CPU in a 10 KB × 20 row
   * that followed a 300-message warm-up). 20 sessions, like the rows that count.
   */
  private async warmUpSmtp(): Promise<void> {
    const t = this.templates.get(this.plan.sizes[0]?.tag ?? '')!;
    if (!t) return;
    const count = this.opts.quick ? 40 : 3000;
    const sessions = this.opts.quick ? 4 : 20;
    for (const who of ['kepd', 'base'] as const) {
      const subject = who === 'kepd' ? this.kepdSmtp() : this.postfixSmtp();
      if (!subject) continue;
      const r = await runSmtpRow(subject, t, sessions, { minMessages: count, minSeconds: 0, maxMessages: count }, { deliverTimeoutMs: 120_000 }).catch((e: Error) => ({ errors: [e.message] }));
      if (r.errors.length) this.fail(`SMTP warm-up ${subject.name}: ${r.errors.join('; ')}`);
    }
    log(`SMTP warm-up: ${count} messages of ${t.label} over ${sessions} sessions through each server (untimed)`);
    this.notes.push(`SMTP warm-up before the first row: ${count} messages of ${t.label} over ${sessions} sessions through each server, untimed.`);
  }

  async smtp(): Promise<void> {
    await this.warmUpSmtp();
    for (const size of this.plan.sizes) {
      const t = this.templates.get(size.tag)!;
      for (const sessions of this.plan.sessions) {
        const n = this.plan.smtpMessages(size, sessions);
        const row = this.row('SMTP', size.label, sessions, 'postfix');
        for (let rep = 0; rep < this.opts.reps; rep++) {
          const order = rep % 2 === 0 ? (['kepd', 'base'] as const) : (['base', 'kepd'] as const);
          for (const who of order) {
            this.kepdGone();
            const subject = who === 'kepd' ? this.kepdSmtp() : this.postfixSmtp();
            if (!subject) continue;
            try {
              const profiled = who === 'kepd' && this.opts.cpuProf ? this.kepd?.pid() : undefined;
              if (profiled) startProfile(profiled);
              const traceFile = this.opts.latencyTrace ? join(this.opts.latencyTrace, `smtp-${size.tag}-x${sessions}-${subject.name}-run${rep + 1}.json`) : undefined;
              const r = await runSmtpRow(subject, t, sessions, { minMessages: n, minSeconds: this.plan.smtpSeconds, maxMessages: 20 * n }, { deliverTimeoutMs: 120_000, traceFile });
              if (profiled) await saveProfile(profiled, this.opts.cpuProf!, `smtp-${size.tag}-x${sessions}-run${rep + 1}`);
              this.record(row, who, r);
            } catch (e) {
              this.fail(`SMTP ${size.label} × ${sessions} ${subject.name}: ${(e as Error).message}`);
            }
          }
        }
      }
    }
  }

  async big(): Promise<void> {
    const t = this.templates.get(BIG.tag)!;
    const row = this.row('SMTP', BIG.label, 1, 'postfix');
    for (const who of ['kepd', 'base'] as const) {
      this.kepdGone();
      const subject = who === 'kepd' ? this.kepdSmtp() : this.postfixSmtp();
      if (!subject) continue;
      try {
        const r = await runSmtpRow(subject, t, 1, { minMessages: 1, minSeconds: 0, maxMessages: 1 }, { deliverTimeoutMs: 300_000 });
        this.record(row, who, r);
        const inc = (r.peakRssBytes - r.startRssBytes) / 1e6;
        log(`  100 MB ${subject.name}: RSS ${(r.startRssBytes / 1e6).toFixed(0)} MB → peak ${(r.peakRssBytes / 1e6).toFixed(0)} MB (+${inc.toFixed(0)} MB)`);
        if (who === 'kepd' && !r.errors.length) {
          this.bigRssIncreaseMb = inc;
          this.notes.push(`100 MB message: kepd's RSS was ${(r.startRssBytes / 1e6).toFixed(0)} MB before it and peaked at ${(r.peakRssBytes / 1e6).toFixed(0)} MB (+${inc.toFixed(1)} MB; VmHWM reset through /proc/PID/clear_refs before the submission).`);
        }
        if (who === 'base' && !r.errors.length) this.notes.push(`100 MB message: Postfix's peak RSS rose by ${inc.toFixed(1)} MB.`);
      } catch (e) {
        this.fail(`SMTP 100 MB ${subject.name}: ${(e as Error).message}`);
      }
    }
  }

  // ---- IMAP ----

  private kepdImap(size: SizeSpec): ImapSubject | undefined {
    const k = this.kepd;
    if (!k || !k.running()) return undefined;
    return { name: 'kepd', target: { port: k.opts.ports.imaps, ca: k.caPem(), user: `${imapUser(size)}@${DOMAIN}`, pass: PASSWORD }, pids: () => [k.pid()] };
  }

  private dovecotImap(size: SizeSpec): ImapSubject {
    const d = this.dovecot;
    return { name: 'dovecot', target: { port: d.port, ca: dovecotCa(d), user: imapUser(size), pass: PASSWORD }, pids: () => [d.pid()] };
  }

  async fillMailboxes(): Promise<void> {
    const m = this.plan.mailbox;
    for (const size of this.plan.sizes) {
      const t = this.imapTemplates.get(size.tag)!;
      // Dovecot: files straight into Maildir/cur, already \Seen (as kepd's are appended with \Seen).
      const cur = join(this.dovecot.maildir(imapUser(size)), 'cur');
      for (let n = 0; n < m; n++) {
        const b = instance(t, 1_000_000 + n);
        const f = join(cur, `${1_700_000_000 + n}.M${n}P1.bench,S=${b.length},W=${b.length}:2,S`);
        writeFileSync(f, b);
        chownSync(f, 65534, 65534);
      }
      const k = this.kepdImap(size);
      if (k) {
        const t0 = Date.now();
        await appendMessages(k.target, m, (n) => instance(t, 1_000_000 + n), 8).catch((e: Error) => {
          this.fail(`filling kepd's INBOX of ${imapUser(size)} by APPEND: ${e.message}`);
        });
        log(`  kepd: ${m} × ${size.label} appended in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      // Warm-up: open each mailbox once (Dovecot builds its index here), mark all \Seen.
      for (const s of [k, this.dovecotImap(size)]) {
        if (!s) continue;
        await warmUp(s.target).catch((e: Error) => this.fail(`IMAP warm-up ${s.name} ${size.label}: ${e.message}`));
      }
    }
  }

  async imap(): Promise<void> {
    for (const size of this.plan.sizes) {
      const t = this.imapTemplates.get(size.tag)!;
      for (const mode of ['single', 'bulk'] as const) {
        for (const sessions of this.plan.sessions) {
          const count = Math.min(this.plan.mailbox, this.plan.imapFetch(size, mode, sessions));
          const row = this.row(`IMAP FETCH ${mode}`, size.label, sessions, 'dovecot');
          for (let rep = 0; rep < this.opts.reps; rep++) {
            const order = rep % 2 === 0 ? (['kepd', 'base'] as const) : (['base', 'kepd'] as const);
            for (const who of order) {
              this.kepdGone();
              const subject = who === 'kepd' ? this.kepdImap(size) : this.dovecotImap(size);
              if (!subject) continue;
              try {
                const r = await runImapRow(subject, mode, sessions, count, this.plan.mailbox, t.bytes.length, this.plan.imapSeconds);
                this.record(row, who, r);
              } catch (e) {
                this.fail(`IMAP ${mode} ${size.label} × ${sessions} ${subject.name}: ${(e as Error).message}`);
              }
            }
          }
        }
      }
    }
  }

  // ---- evidence ----

  async evidenceBench(): Promise<void> {
    const child = join(__dirname, 'lib', 'evidence-child.js');
    log(`evidence: ${this.plan.evidenceRounds} × ${this.plan.evidenceCount} evidences, and the raw-signature floor`);
    const r = await run(process.execPath, [child, this.repo, String(this.plan.evidenceCount), String(this.plan.evidenceRounds)], { timeoutMs: 240_000 });
    if (r.code !== 0) {
      this.fail(`evidence benchmark failed: ${r.stderr.trim().slice(-1500)}`);
      return;
    }
    this.evidence = JSON.parse(r.stdout.trim().split('\n').pop()!) as EvidenceResult;
    log(`  evidences/s: ${this.evidence.evidencePerSec.map((x) => x.toFixed(0)).join(', ')}; floor pairs/s: ${this.evidence.floorPairsPerSec.map((x) => x.toFixed(0)).join(', ')}`);
  }
}

function dovecotCa(d: DovecotInstance): Buffer {
  return readFileSync(d.certFile);
}

async function warmUp(target: ImapTarget): Promise<void> {
  const s = await ImapSession.open(target);
  try {
    for (const cmd of ['SELECT INBOX', 'FETCH 1:* (FLAGS RFC822.SIZE)', 'STORE 1:* +FLAGS.SILENT (\\Seen)']) {
      const r = await s.command(cmd);
      if (r.status !== 'OK') throw new BenchError(`${cmd}: ${r.status} ${r.text}`);
    }
  } finally {
    await s.logout();
  }
}

function missingBaselines(): string | undefined {
  const missing: string[] = [];
  if (!PostfixInstance.available()) missing.push('postfix');
  if (!DovecotInstance.available()) missing.push('dovecot-imapd');
  if (!missing.length) return undefined;
  return (
    `the baselines are not installed (${missing.join(', ')} missing). Install them once (root):\n` +
    `  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections\n` +
    `  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix dovecot-imapd\n` +
    `(see bench/README.md; the benchmark runs private instances and never uses the system's configuration or port 25)`
  );
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 2;
  }
  const missing = missingBaselines();
  if (missing) {
    process.stderr.write(`bench: ${missing}\n`);
    return 2;
  }
  if (process.getuid && process.getuid() !== 0) {
    process.stderr.write('bench: must run as root (private Postfix/Dovecot instances deliver as nobody and read /proc of their processes)\n');
    return 2;
  }
  installSignalHandlers();
  const started = Date.now();
  const loadStart = loadavg()[0];
  const busyBefore = { cores: await cpuBusyCores(BUSY_SAMPLE_MS, cpus().length), seconds: BUSY_SAMPLE_MS / 1000 };
  const here = resolve(__dirname, '..', '..');
  const repo = opts.kepdRepo ?? here;
  const resultsDir = join(here, 'bench', 'results');
  const p = plan(opts);
  const base = opts.workdir ?? tmpdir();
  mkdirSync(base, { recursive: true });
  if (opts.latencyTrace) mkdirSync(opts.latencyTrace, { recursive: true });
  const work = mkdtempSync(join(base, 'kepd-bench-'));
  chmodSync(work, 0o755);
  onCleanup('temporary directory', () => {
    if (opts.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });
  const bench = new Bench(repo, work, opts, p);
  let machine: MachineInfo | undefined;
  try {
    machine = await machineInfo(repo, work);
    const kepdProblem = await KepdInstance.unavailable(repo);
    await bench.startServers(kepdProblem);
    await bench.makeMessages();
    if (!opts.skip.has('evidence')) await bench.evidenceBench();
    if (!opts.skip.has('smtp')) {
      // The 100 MB message first, while the daemons' memory is as fresh as after a start.
      if (p.big && !opts.skip.has('big')) {
        log('SMTP 100 MB message');
        await bench.big();
      }
      log('SMTP workload');
      await bench.smtp();
    }
    if (!opts.skip.has('imap')) {
      log(`IMAP: filling mailboxes of ${p.mailbox} messages`);
      await bench.fillMailboxes();
      log('IMAP workload');
      await bench.imap();
    }
    if (bench.kepd && !bench.kepd.running()) bench.errors.push(`kepd died during the run:\n${bench.kepd.tailLog(15)}`);
  } catch (e) {
    bench.errors.push(`run aborted: ${(e as Error).message}`);
    log(`ERROR: ${(e as Error).stack ?? e}`);
    if (bench.kepd) log(`kepd log tail:\n${bench.kepd.tailLog(15)}`);
  } finally {
    await runCleanups();
  }
  machine ??= await machineInfo(repo, base);
  bench.notes.push(
    'Load generator: bench/lib/smtp-client.ts and imap-client.ts, in the benchmark process on the same 2 cores as the servers. Sessions are opened (TLS, AUTH, SELECT) before the clock starts.',
    'kepd: submissions port (implicit TLS) with AUTH PLAIN, S/MIME-signed messages (openssl cms -sign), delivered = Delivery evidence archived with the dispatch in the INBOX; Postfix: plain SMTP, the same bytes, delivered = file in Maildir/new (virtual delivery, default fsync behaviour).',
    'IMAP: same-size messages, all \\Seen; kepd filled by IMAP APPEND, Dovecot by writing Maildir files (indexed by an untimed warm-up). "single" = UID FETCH n BODY[] one at a time, sessions sharing the UIDs; "bulk" = one FETCH per session over a contiguous share (1 session: FETCH 1:* BODY[]).',
  );
  const sizeRank = (label: string): number => [...SIZES, BIG].findIndex((x) => x.label === label);
  const workloadRank = (w: string): number => ['SMTP', 'IMAP FETCH single', 'IMAP FETCH bulk'].indexOf(w);
  bench.rows.sort((a, b) => workloadRank(a.workload) - workloadRank(b.workload) || sizeRank(a.size) - sizeRank(b.size) || a.sessions - b.sessions);
  const report: Report = {
    machine,
    options: { quick: opts.quick, reps: opts.reps, skip: [...opts.skip], mailbox: p.mailbox },
    rows: bench.rows,
    evidence: bench.evidence,
    targets: judgeTargets(bench.rows, bench.evidence, bench.bigRssIncreaseMb),
    errors: bench.errors,
    notes: bench.notes,
    elapsedSeconds: (Date.now() - started) / 1000,
    loadAverage: { start: loadStart, end: loadavg()[0] },
    busyBefore,
  };
  mkdirSync(resultsDir, { recursive: true });
  const md = renderMarkdown(report);
  writeFileSync(join(resultsDir, 'latest.md'), md);
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(md + '\n');
  log(`wrote ${join(resultsDir, 'latest.md')} and latest.json (${report.elapsedSeconds.toFixed(0)} s)`);
  if (bench.errors.length) {
    log(`the run FAILED (${bench.errors.length} error(s)); see the FAILED section`);
    return 1;
  }
  return 0;
}

main().then(
  async (code) => {
    await sleep(10);
    process.exit(code);
  },
  async (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
    await runCleanups();
    process.exit(1);
  },
);
