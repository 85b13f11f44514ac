/**
 * A private Dovecot instance for the IMAP baseline: `dovecot -F -c DIR/dovecot.conf` with its
 * own base/state dirs and log under the run's temp dir, imaps on 127.0.0.1:<high port> with a
 * self-signed certificate, a passwd-file passdb for the bench users and a static userdb
 * (nobody:nogroup) serving the same Maildirs Postfix delivers into. Nothing under /etc/dovecot
 * is read or changed. Performance settings are Dovecot's defaults; the only limit raised is
 * mail_max_userip_connections (default 10), so 20 sessions of one user from 127.0.0.1 may log in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup';
import { BenchError, log, portOpen, run, runOk, sleep, waitFor } from './util';

export const DOVECOT_BIN = '/usr/sbin/dovecot';

export interface DovecotOptions {
  dir: string;
  port: number;
  /** Root of the Maildirs: <mailRoot>/<user>/Maildir. */
  mailRoot: string;
  users: string[];
  password: string;
}

export class DovecotInstance {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  readonly logFile: string;
  readonly certFile: string;
  private readonly conf: string;

  constructor(private readonly opts: DovecotOptions) {
    this.logFile = join(opts.dir, 'dovecot.log');
    this.certFile = join(opts.dir, 'cert.pem');
    this.conf = join(opts.dir, 'dovecot.conf');
  }

  get port(): number {
    return this.opts.port;
  }

  static available(): boolean {
    return existsSync(DOVECOT_BIN) && existsSync('/usr/lib/dovecot/imap');
  }

  static async version(): Promise<string> {
    const r = await run(DOVECOT_BIN, ['--version'], { timeoutMs: 10_000 });
    return r.stdout.trim().split(' ')[0] || 'unknown';
  }

  maildir(user: string): string {
    return join(this.opts.mailRoot, user, 'Maildir');
  }

  /** Creates the Maildir of a user (owned by nobody) if missing. */
  ensureMaildir(user: string): string {
    const base = this.maildir(user);
    for (const p of [join(this.opts.mailRoot, user), base, join(base, 'new'), join(base, 'cur'), join(base, 'tmp')]) {
      if (!existsSync(p)) mkdirSync(p, { recursive: true });
      chownSync(p, 65534, 65534);
    }
    return base;
  }

  async start(): Promise<void> {
    const { dir, port, mailRoot, users, password } = this.opts;
    mkdirSync(dir, { recursive: true });
    for (const u of users) this.ensureMaildir(u);
    const key = join(dir, 'key.pem');
    await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', this.certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { timeoutMs: 30_000 });
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, users.map((u) => `${u}:{PLAIN}${password}::::::\n`).join(''));
    const lines = [
      `base_dir = ${join(dir, 'run')}`,
      `state_dir = ${join(dir, 'state')}`,
      `log_path = ${this.logFile}`,
      `info_log_path = ${this.logFile}`,
      'protocols = imap',
      'listen = 127.0.0.1',
      `ssl = required`,
      `ssl_cert = <${this.certFile}`,
      `ssl_key = <${key}`,
      existsSync('/usr/share/dovecot/dh.pem') ? 'ssl_dh = </usr/share/dovecot/dh.pem' : '',
      'auth_mechanisms = plain login',
      `passdb {\n  driver = passwd-file\n  args = ${passwd}\n}`,
      `userdb {\n  driver = static\n  args = uid=65534 gid=65534 home=${mailRoot}/%u\n}`,
      'mail_location = maildir:~/Maildir',
      'first_valid_uid = 100',
      'first_valid_gid = 100',
      'protocol imap {\n  mail_max_userip_connections = 100\n}',
      `service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = ${port}\n    ssl = yes\n  }\n}`,
      'service stats {\n  inet_listener http {\n    port = 0\n  }\n}',
      '',
    ];
    writeFileSync(this.conf, lines.filter((l) => l !== '').join('\n') + '\n');
    if (await portOpen(port)) throw new BenchError(`port ${port} is already in use`);

    onCleanup('dovecot', () => this.stop());
    const child = spawn(DOVECOT_BIN, ['-F', '-c', this.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const output: string[] = [];
    child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(`Dovecot imaps on 127.0.0.1:${port}`, 20_000, async () => {
        if (child.exitCode !== null) throw new BenchError(`dovecot exited ${child.exitCode}: ${output.join('').trim()} ${this.tailLog(10)}`);
        return portOpen(port);
      });
    } catch (e) {
      throw new BenchError(`${(e as Error).message}\n${output.join('')}\n${this.tailLog(20)}`);
    }
    log(`dovecot: private instance on 127.0.0.1:${port} (${dir})`);
  }

  pid(): number {
    if (!this.child?.pid) throw new BenchError('dovecot is not running');
    return this.child.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([this.exited!.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) child.kill('SIGKILL');
    }
  }

  tailLog(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no dovecot log)';
    }
  }
}
