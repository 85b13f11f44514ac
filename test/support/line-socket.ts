/**
 * A raw protocol client for fuzzing: writes exactly the bytes given, reads lines (and literal
 * bytes) with timeouts, and reports a closed connection instead of throwing.
 */
import net from 'node:net';
import tls from 'node:tls';

export type ReadResult = string | 'timeout' | 'closed';

export class LineSocket {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static async connect(port: number, opts: { tls?: { ca: string | Buffer; maxVersion?: tls.SecureVersion; minVersion?: tls.SecureVersion } } = {}): Promise<LineSocket> {
    const socket = opts.tls
      ? tls.connect({ host: '127.0.0.1', port, ca: [opts.tls.ca], servername: 'localhost', maxVersion: opts.tls.maxVersion, minVersion: opts.tls.minVersion })
      : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new LineSocket(socket);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Upgrades after the server agreed to STARTTLS. */
  async startTls(ca: string | Buffer): Promise<void> {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    const secure = tls.connect({ socket: this.socket as net.Socket, ca: [ca], servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = Buffer.alloc(0);
    this.attach(secure);
  }

  write(data: string | Buffer): void {
    if (!this.ended && this.socket.writable) this.socket.write(data);
  }

  /** Writes and waits until the bytes left for the peer; false when the connection ended (or nothing moved for `timeoutMs`). */
  writeAndWait(data: Buffer, timeoutMs = 5000): Promise<boolean> {
    if (this.ended || !this.socket.writable) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.write(data, (err) => {
        clearTimeout(timer);
        resolve(!err && !this.ended);
      });
    });
  }

  /** One line without its CRLF (a bare LF also ends a line). */
  async readLine(timeoutMs: number): Promise<ReadResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl >= 0) {
        const line = this.buffer.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(nl + 1);
        return line;
      }
      if (this.ended) return 'closed';
      if (!(await this.more(deadline - Date.now()))) return 'timeout';
    }
  }

  async readBytes(n: number, timeoutMs: number): Promise<Buffer | 'timeout' | 'closed'> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n) {
      if (this.ended) return 'closed';
      if (!(await this.more(deadline - Date.now()))) return 'timeout';
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Resolves true when the peer closes within `timeoutMs` (what is still sent is discarded). */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      this.buffer = Buffer.alloc(0);
      if (!(await this.more(deadline - Date.now()))) return this.ended;
    }
    return true;
  }

  destroy(): void {
    this.socket.destroy();
    this.ended = true;
    this.wake();
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    socket.on('error', () => undefined);
    // The peer's FIN: it will not read what we send any more.
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Waits for more data (or close); false on timeout. */
  private more(timeoutMs: number): Promise<boolean> {
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
