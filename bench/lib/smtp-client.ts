/**
 * A minimal SMTP client for load generation: one persistent session (plain or implicit TLS,
 * optional AUTH PLAIN) sending pre-made, dot-stuffed messages one after another. It measures
 * acceptance latency from the DATA command being sent to the final reply to the message.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { BenchError } from './util';

export interface SmtpTarget {
  port: number;
  /** Implicit TLS with this CA (PEM); undefined = plain TCP. */
  tlsCa?: Buffer;
  auth?: { user: string; pass: string };
}

export interface Reply {
  code: number;
  text: string;
}

export interface SendResult {
  latencyMs: number;
  reply: Reply;
}

/** A message in wire form: dot-stuffed CRLF bytes ending in "\r\n.\r\n". */
export function toWire(message: Buffer): Buffer {
  let s = message.toString('latin1');
  if (s.startsWith('.')) s = '.' + s;
  s = s.replace(/\r\n\./g, '\r\n..');
  if (!s.endsWith('\r\n')) s += '\r\n';
  return Buffer.from(s + '.\r\n', 'latin1');
}

export class SmtpSession {
  private socket!: Socket;
  private buf = '';
  private lines: string[] = [];
  private waiter: ((r: Reply) => void) | undefined;
  private failure: Error | undefined;
  private failWaiter: ((e: Error) => void) | undefined;

  private constructor(private readonly timeoutMs: number) {}

  static async open(target: SmtpTarget, timeoutMs = 120_000): Promise<SmtpSession> {
    const s = new SmtpSession(timeoutMs);
    await s.connect(target);
    return s;
  }

  private connect(target: SmtpTarget): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        this.socket.setNoDelay(true);
        this.socket.off('error', reject);
        this.socket.on('error', (e) => this.fail(e));
        resolve();
      };
      this.socket = target.tlsCa
        ? tlsConnect({ port: target.port, host: '127.0.0.1', servername: 'localhost', ca: target.tlsCa }, onReady)
        : netConnect({ port: target.port, host: '127.0.0.1' }, onReady);
      this.socket.once('error', reject);
      this.socket.on('data', (d: Buffer) => this.onData(d));
      this.socket.on('close', () => this.fail(new BenchError('SMTP connection closed by the server')));
    }).then(async () => {
      await this.expect(await this.reply(), 220, 'greeting');
      const ehlo = await this.cmd('EHLO loadgen.bench.kep');
      await this.expect(ehlo, 250, 'EHLO');
      if (target.auth) {
        const token = Buffer.from(`\0${target.auth.user}\0${target.auth.pass}`).toString('base64');
        await this.expect(await this.cmd(`AUTH PLAIN ${token}`), 235, 'AUTH PLAIN');
      }
    });
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    this.failWaiter?.(e);
  }

  private onData(d: Buffer): void {
    this.buf += d.toString('latin1');
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.lines.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        const reply: Reply = { code: Number(line.slice(0, 3)), text: this.lines.map((l) => l.slice(4)).join('\n') };
        this.lines = [];
        const w = this.waiter;
        this.waiter = undefined;
        w?.(reply);
      }
    }
  }

  private reply(): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BenchError(`no SMTP reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        this.failWaiter = undefined;
        resolve(r);
      };
      this.failWaiter = (e) => {
        clearTimeout(timer);
        reject(e);
      };
    });
  }

  private cmd(line: string): Promise<Reply> {
    const p = this.reply();
    this.socket.write(line + '\r\n');
    return p;
  }

  private async expect(r: Reply, code: number, what: string): Promise<Reply> {
    if (r.code !== code) throw new BenchError(`${what}: expected ${code}, got ${r.code} ${r.text}`);
    return r;
  }

  /** One transaction; a non-2xx final reply is returned (not thrown) so the caller can count it. */
  async send(from: string, to: string[], wire: Buffer): Promise<SendResult> {
    await this.expect(await this.cmd(`MAIL FROM:<${from}>`), 250, 'MAIL FROM');
    for (const rcpt of to) await this.expect(await this.cmd(`RCPT TO:<${rcpt}>`), 250, `RCPT TO ${rcpt}`);
    const t0 = process.hrtime.bigint();
    const go = await this.cmd('DATA');
    if (go.code !== 354) throw new BenchError(`DATA: expected 354, got ${go.code} ${go.text}`);
    const p = this.reply();
    this.socket.write(wire);
    const reply = await p;
    return { latencyMs: Number(process.hrtime.bigint() - t0) / 1e6, reply };
  }

  async quit(): Promise<void> {
    try {
      await Promise.race([this.cmd('QUIT'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // closing anyway
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
