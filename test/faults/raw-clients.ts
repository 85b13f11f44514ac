/**
 * Clients that misbehave on purpose, speaking SMTP and IMAP by hand over TLS: they stop in the
 * middle of DATA or of a FETCH answer, disconnect, or stall (neither write nor read). Also a
 * look at the daemon's open files (/proc/<pid>/fd), to see that it let go of what such a client
 * had it open.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';

export class RawTlsClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  /** Bytes received in total (a stalled reader receives none after it pauses). */
  received = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const w of this.waiters.splice(0)) w();
        resolve();
      }),
    );
  }

  static open(port: number, caPem: string): Promise<RawTlsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: caPem, servername: 'localhost' }, () => resolve(new RawTlsClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits until the received text matches `re` (consuming up to the match); undefined if the connection closes first. */
  async expect(re: RegExp, timeoutMs = 30_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.buf.toString('latin1');
      const m = re.exec(text);
      if (m) {
        const end = m.index + m[0].length;
        this.buf = this.buf.subarray(end);
        return text.slice(0, end);
      }
      if (this.socket.destroyed || Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until at least `n` bytes have arrived. */
  async receivedAtLeast(n: number, timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < n) {
      if (this.socket.destroyed || Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Stops reading: the kernel buffers fill and the server's writes stall. */
  stallReading(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** An SMTP reply: lines up to the one without a dash after the code. */
const SMTP_REPLY = /(?:^|\r\n)(\d{3}) [^\r\n]*\r\n/;

export async function smtpCommand(c: RawTlsClient, line: string): Promise<string> {
  await c.write(`${line}\r\n`);
  const reply = await c.expect(SMTP_REPLY);
  if (reply === undefined) throw new Error(`connection closed after ${line.split(' ')[0]}`);
  return reply;
}

/** Greeting, EHLO, AUTH PLAIN, MAIL FROM, RCPT TO, DATA: ready for the message. */
export async function smtpUpToData(port: number, caPem: string, user: { address: string; password: string }, to: string[]): Promise<RawTlsClient> {
  const c = await RawTlsClient.open(port, caPem);
  if ((await c.expect(SMTP_REPLY)) === undefined) throw new Error('no greeting');
  await smtpCommand(c, 'EHLO client.test');
  const auth = await smtpCommand(c, `AUTH PLAIN ${Buffer.from(`\0${user.address}\0${user.password}`).toString('base64')}`);
  if (!/^235 /m.test(auth)) throw new Error(`AUTH: ${auth}`);
  await smtpCommand(c, `MAIL FROM:<${user.address}>`);
  for (const r of to) await smtpCommand(c, `RCPT TO:<${r}>`);
  const data = await smtpCommand(c, 'DATA');
  if (!/^354 /m.test(data)) throw new Error(`DATA: ${data}`);
  return c;
}

/** LOGIN and SELECT INBOX over implicit TLS. */
export async function imapSelected(port: number, caPem: string, user: { address: string; password: string }): Promise<RawTlsClient> {
  const c = await RawTlsClient.open(port, caPem);
  if ((await c.expect(/\* OK[^\r\n]*\r\n/)) === undefined) throw new Error('no greeting');
  await c.write(`a1 LOGIN "${user.address}" "${user.password}"\r\n`);
  if ((await c.expect(/a1 OK[^\r\n]*\r\n/)) === undefined) throw new Error('LOGIN failed');
  await c.write('a2 SELECT INBOX\r\n');
  if ((await c.expect(/a2 OK[^\r\n]*\r\n/)) === undefined) throw new Error('SELECT failed');
  return c;
}

/** The files under `dir` the process `pid` holds open (Linux /proc). */
export function openFilesUnder(pid: number, dir: string): string[] {
  const out: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(join(`/proc/${pid}/fd`, fd));
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}
