/**
 * A minimal IMAP client over implicit TLS for load generation (to 127.0.0.1, server name
 * `localhost` as a stock client sends it, certificate verified against the given CA). It streams responses without
 * copying literal bodies: for each command it counts the literal bytes received in FETCH
 * responses, which the benchmark compares with the stored message sizes.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { BenchError } from './util';

export interface ImapTarget {
  port: number;
  ca: Buffer;
  user: string;
  pass: string;
}

export interface CommandResult {
  status: string;
  text: string;
  /** Literal bytes and literals seen in untagged responses to this command. */
  literalBytes: number;
  literals: number;
  untagged: string[];
}

interface Pending {
  tag: string;
  result: CommandResult;
  keepUntagged: boolean;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ImapSession {
  private socket!: TLSSocket;
  private lineParts: Buffer[] = [];
  private logical: string[] = [];
  private literalLeft = 0;
  private seq = 0;
  private pending: Pending | undefined;
  private greeting: ((line: string) => void) | undefined;
  private continuation: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly timeoutMs: number) {}

  static async open(target: ImapTarget, timeoutMs = 300_000): Promise<ImapSession> {
    const s = new ImapSession(timeoutMs);
    await s.connect(target);
    return s;
  }

  private async connect(target: ImapTarget): Promise<void> {
    const greeted = new Promise<string>((resolve) => (this.greeting = resolve));
    await new Promise<void>((resolve, reject) => {
      this.socket = tlsConnect({ port: target.port, host: '127.0.0.1', servername: 'localhost', ca: target.ca }, () => {
        this.socket.off('error', reject);
        this.socket.on('error', (e) => this.fail(e));
        resolve();
      });
      this.socket.once('error', reject);
      this.socket.on('data', (d: Buffer) => this.onData(d));
      this.socket.on('close', () => this.fail(new BenchError('IMAP connection closed by the server')));
    });
    const g = await Promise.race([greeted, new Promise<string>((_, rej) => setTimeout(() => rej(new BenchError('no IMAP greeting')), 20_000))]);
    if (!/^\* OK/i.test(g)) throw new BenchError(`IMAP greeting: ${g}`);
    const r = await this.command(`LOGIN "${target.user}" "${target.pass}"`);
    if (r.status !== 'OK') throw new BenchError(`IMAP LOGIN ${target.user}: ${r.status} ${r.text}`);
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(e);
    }
  }

  private onData(d: Buffer): void {
    let pos = 0;
    while (pos < d.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, d.length - pos);
        this.literalLeft -= take;
        pos += take;
        continue;
      }
      const nl = d.indexOf(10, pos);
      if (nl < 0) {
        this.lineParts.push(d.subarray(pos));
        break;
      }
      this.lineParts.push(d.subarray(pos, nl + 1));
      pos = nl + 1;
      const line = Buffer.concat(this.lineParts).toString('latin1').replace(/\r?\n$/, '');
      this.lineParts = [];
      const lit = /\{(\d+)\+?\}$/.exec(line);
      this.logical.push(line);
      if (lit) {
        const n = Number(lit[1]);
        this.literalLeft = n;
        if (this.pending) {
          this.pending.result.literalBytes += n;
          this.pending.result.literals++;
        }
        continue;
      }
      const full = this.logical.join(' ');
      this.logical = [];
      this.onResponse(full);
    }
  }

  private onResponse(line: string): void {
    if (this.greeting) {
      const g = this.greeting;
      this.greeting = undefined;
      g(line);
      return;
    }
    if (line.startsWith('+')) {
      const c = this.continuation;
      this.continuation = undefined;
      c?.();
      return;
    }
    const p = this.pending;
    if (!p) return;
    if (line.startsWith('* ')) {
      if (p.keepUntagged) p.result.untagged.push(line.length > 2000 ? line.slice(0, 2000) : line);
      return;
    }
    if (line.startsWith(p.tag + ' ')) {
      const rest = line.slice(p.tag.length + 1);
      const sp = rest.indexOf(' ');
      p.result.status = (sp < 0 ? rest : rest.slice(0, sp)).toUpperCase();
      p.result.text = sp < 0 ? '' : rest.slice(sp + 1);
      this.pending = undefined;
      clearTimeout(p.timer);
      p.resolve(p.result);
    }
  }

  private begin(keepUntagged: boolean): { tag: string; done: Promise<CommandResult> } {
    if (this.failure) throw this.failure;
    if (this.pending) throw new BenchError('IMAP command already in progress');
    const tag = `A${++this.seq}`;
    const done = new Promise<CommandResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new BenchError(`IMAP ${tag}: no completion within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending = { tag, result: { status: '', text: '', literalBytes: 0, literals: 0, untagged: [] }, keepUntagged, resolve, reject, timer };
    });
    return { tag, done };
  }

  /** Sends one command line and resolves with its tagged completion. */
  command(line: string, keepUntagged = false): Promise<CommandResult> {
    const { tag, done } = this.begin(keepUntagged);
    this.socket.write(`${tag} ${line}\r\n`);
    return done;
  }

  /** APPEND with a synchronising literal. */
  async append(mailbox: string, message: Buffer, flags = ''): Promise<CommandResult> {
    const { tag, done } = this.begin(false);
    const go = new Promise<void>((resolve) => (this.continuation = resolve));
    this.socket.write(`${tag} APPEND "${mailbox}" ${flags ? `(${flags}) ` : ''}{${message.length}}\r\n`);
    await Promise.race([go, done]);
    if (this.pending?.tag === tag) {
      this.socket.write(message);
      this.socket.write('\r\n');
    }
    return done;
  }

  async logout(): Promise<void> {
    try {
      await Promise.race([this.command('LOGOUT'), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // closing anyway
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
