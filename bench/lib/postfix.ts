/**
 * A private Postfix instance for the baseline: its own config, queue and data directories
 * under the run's temp dir, smtpd on 127.0.0.1:<high port>, `virtual` delivery into Maildirs
 * under the temp dir (owned by nobody:nogroup, so no system users are created), no DNS.
 * Nothing under /etc/postfix is read or changed and port 25 is never opened. Performance
 * settings (fsync, process limits, queue behaviour) are Postfix's defaults; only size limits are
 * raised so the 100 MB message fits.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup';
import { BenchError, log, portOpen, run, sleep, systemUser, waitFor } from './util';

export const POSTFIX_BIN = '/usr/sbin/postfix';

export interface PostfixOptions {
  dir: string;
  port: number;
  domain: string;
  users: string[];
}

const MASTER_CF = (port: number): string => `# private benchmark instance (chroot off: no copies of /etc needed)
127.0.0.1:${port} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;

export class PostfixInstance {
  readonly confDir: string;
  readonly queueDir: string;
  readonly dataDir: string;
  readonly mailDir: string;
  readonly logFile: string;
  private started = false;

  constructor(private readonly opts: PostfixOptions) {
    this.confDir = join(opts.dir, 'conf');
    this.queueDir = join(opts.dir, 'queue');
    this.dataDir = join(opts.dir, 'data');
    this.mailDir = join(opts.dir, 'vmail');
    this.logFile = join(opts.dir, 'maillog');
  }

  get port(): number {
    return this.opts.port;
  }

  static available(): boolean {
    return existsSync(POSTFIX_BIN) && existsSync('/usr/lib/postfix/sbin/master');
  }

  static async version(): Promise<string> {
    const r = await run('/usr/sbin/postconf', ['-d', '-c', '/nonexistent-bench-dir', 'mail_version'], { timeoutMs: 10_000 });
    const m = /mail_version = (\S+)/.exec(r.stdout);
    return m ? m[1] : 'unknown';
  }

  /** The Maildir `new/` directory Postfix delivers a user's mail into. */
  newDir(user: string): string {
    return join(this.mailDir, user, 'Maildir', 'new');
  }

  maildir(user: string): string {
    return join(this.mailDir, user, 'Maildir');
  }

  async start(): Promise<void> {
    const { dir, port, domain, users } = this.opts;
    const opts = this.opts;
    for (const d of [this.confDir, this.queueDir, this.dataDir, this.mailDir]) mkdirSync(d, { recursive: true });
    // Postfix's unprivileged processes (and nobody, for delivery) must traverse the run dir.
    chmodSync(dir, 0o755);
    const pf = systemUser('postfix');
    chownSync(this.dataDir, pf.uid, pf.gid);
    const nobody = { uid: 65534, gid: 65534 };
    chownSync(this.mailDir, nobody.uid, nobody.gid);
    for (const u of users) {
      for (const sub of ['', 'Maildir', 'Maildir/new', 'Maildir/cur', 'Maildir/tmp']) {
        const p = join(this.mailDir, u, sub);
        mkdirSync(p, { recursive: true });
        chownSync(p, nobody.uid, nobody.gid);
      }
    }
    writeFileSync(join(this.confDir, 'vmailbox'), users.map((u) => `${u}@${domain} ${u}/Maildir/\n`).join(''));
    const main: Record<string, string> = {
      compatibility_level: '3.6',
      queue_directory: this.queueDir,
      data_directory: this.dataDir,
      meta_directory: '/etc/postfix',
      mail_owner: 'postfix',
      setgid_group: 'postdrop',
      syslog_name: 'postfix-bench',
      maillog_file: this.logFile,
      maillog_file_prefixes: opts.dir,
      myhostname: `baseline.${domain}`,
      mydomain: domain,
      myorigin: '$myhostname',
      mydestination: '',
      inet_interfaces: '127.0.0.1',
      inet_protocols: 'ipv4',
      mynetworks: '127.0.0.0/8',
      smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
      smtp_dns_support_level: 'disabled',
      smtp_host_lookup: 'native',
      lmtp_host_lookup: 'native',
      smtpd_peername_lookup: 'no',
      alias_maps: '',
      alias_database: '',
      local_recipient_maps: '',
      relayhost: '',
      biff: 'no',
      virtual_mailbox_domains: domain,
      virtual_mailbox_base: this.mailDir,
      virtual_mailbox_maps: `texthash:${join(this.confDir, 'vmailbox')}`,
      virtual_uid_maps: `static:${nobody.uid}`,
      virtual_gid_maps: `static:${nobody.gid}`,
      virtual_mailbox_limit: '0',
      message_size_limit: String(200 * 1024 * 1024),
      mailbox_size_limit: '0',
    };
    writeFileSync(join(this.confDir, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}\n`).join(''));
    writeFileSync(join(this.confDir, 'master.cf'), MASTER_CF(port));
    if (await portOpen(port)) throw new BenchError(`port ${port} is already in use`);

    onCleanup('postfix', () => this.stop());
    this.started = true;
    const env = { ...process.env, MAIL_CONFIG: this.confDir };
    // `set-permissions`-like setup: create-missing makes the queue subdirectories with their owners.
    for (const cmd of ['check', 'start']) {
      const r = await run(POSTFIX_BIN, ['-c', this.confDir, cmd], { env, timeoutMs: 60_000 });
      if (r.code !== 0) {
        // Postfix reports to syslog/maillog_file, or to stderr only on a terminal: ask again on a pty.
        const again = await run('script', ['-qc', `${POSTFIX_BIN} -c ${this.confDir} ${cmd}`, '/dev/null'], { env, timeoutMs: 60_000 }).catch(() => undefined);
        throw new BenchError(`postfix ${cmd} failed for the private instance in ${dir}: ${(r.stderr + (again?.stdout ?? '')).trim()}\n${this.tailLog(10)}`);
      }
    }
    await waitFor(`Postfix smtpd on 127.0.0.1:${port}`, 20_000, () => portOpen(port));
    log(`postfix: private instance on 127.0.0.1:${port} (${dir})`);
  }

  /** PID of the master process (root of the instance's process tree). */
  masterPid(): number {
    const f = join(this.queueDir, 'pid', 'master.pid');
    const pid = Number(readFileSync(f, 'latin1').trim());
    if (!pid) throw new BenchError(`no master pid in ${f}`);
    return pid;
  }

  /** Messages still in the queue (any queue directory). */
  queued(): number {
    let n = 0;
    for (const q of ['incoming', 'active', 'deferred', 'hold', 'maildrop']) {
      n += countFiles(join(this.queueDir, q));
    }
    return n;
  }

  deferred(): number {
    return countFiles(join(this.queueDir, 'deferred'));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const env = { ...process.env, MAIL_CONFIG: this.confDir };
    let pid = 0;
    try {
      pid = this.masterPid();
    } catch {
      // not running
    }
    await run(POSTFIX_BIN, ['-c', this.confDir, 'stop'], { env, timeoutMs: 30_000 }).catch(() => undefined);
    if (pid) {
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }

  tailLog(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no maillog)';
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Files in a directory tree of depth ≤ 2 (Postfix hashes queue directories one level deep). */
function countFiles(dir: string): number {
  let n = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else n++;
  }
  return n;
}
