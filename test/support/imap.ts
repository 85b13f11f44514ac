/**
 * IMAP test harness: a real embedded store in a temp dir, the development PKI's TLS
 * certificate, the IMAP server on 127.0.0.1 (STARTTLS and implicit-TLS ports), two accounts,
 * and a recorder for the retrieval hook. Plus a raw line-level IMAP client for assertions on
 * exact protocol bytes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { ensureDevPki } from '../../src/pki/dev-pki';
import { openEmbeddedStore } from '../../src/store';
import type { AccountRecord, MailStore, MessageKind, MessageRecord, NewMessage } from '../../src/store';
import { hashPassword, verifyPassword } from '../../src/accounts/password';
import { silentLogger, type Logger } from '../../src/log';
import { createImapServer, type ImapServer } from '../../src/imap';

export interface Retrieval {
  messageId: string;
  accountId: string;
  kind: MessageKind;
}

export interface ImapHarness {
  dir: string;
  store: MailStore;
  caPem: Buffer;
  caFile: string;
  /** Plain port (STARTTLS). */
  port: number;
  /** Implicit TLS port. */
  tlsPort: number;
  alice: AccountRecord;
  bob: AccountRecord;
  password: string;
  retrievals: Retrieval[];
  /** When set, the retrieval hook throws (simulates the evidence queue being down). */
  failRetrievals: boolean;
  server: ImapServer;
  /** Stores bytes and puts them in a mailbox as the engine would (blob, then commit). */
  deliver(account: AccountRecord, mailboxPath: string, bytes: Buffer, kind: MessageKind, extra?: Partial<NewMessage>): Promise<MessageRecord>;
  /** An ImapFlow client logged in over implicit TLS. */
  client(account: AccountRecord, password?: string): Promise<ImapFlow>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery staple';

export async function startImapHarness(
  options: { maxMailboxes?: number; quotaBytes?: number; maxMessageBytes?: number; logger?: Logger } = {},
): Promise<ImapHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kepd-imap-test-'));
  const pki = await ensureDevPki({
    pkiDir: join(dir, 'pki'),
    domain: 'kep.test',
    providerName: 'Test KEPHS',
    serviceAddress: 'kepd@kep.test',
  });
  const store = await openEmbeddedStore({ dataDir: join(dir, 'data') });
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const mkAccount = (address: string): Promise<AccountRecord> =>
    store.accounts.create({
      address,
      type: 'person',
      passwordHash,
      receiveOnly: false,
      quotaBytes: options.quotaBytes ?? 50_000_000,
      state: 'active',
    });
  const alice = await mkAccount('alice@kep.test');
  const bob = await mkAccount('bob@kep.test');

  const harness: ImapHarness = {
    dir,
    store,
    caPem: await readFile(pki.paths.ca),
    caFile: pki.paths.ca,
    port: 0,
    tlsPort: 0,
    alice,
    bob,
    password: TEST_PASSWORD,
    retrievals: [],
    failRetrievals: false,
    server: undefined as unknown as ImapServer,
    async deliver(account, mailboxPath, bytes, kind, extra = {}) {
      const blob = await store.blobs.put(bytes);
      const [result] = await store.commit([
        { op: 'appendMessage', message: { accountId: account.id, mailboxPath, blob, kind, flags: [], ...extra } },
      ]);
      if (result.op !== 'appendMessage') throw new Error('unexpected commit result');
      return result.message;
    },
    async client(account, password = TEST_PASSWORD) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: harness.tlsPort,
        secure: true,
        auth: { user: account.address, pass: password },
        tls: { ca: [harness.caPem] },
        logger: false,
      });
      await client.connect();
      return client;
    },
    async close() {
      await harness.server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };

  harness.server = createImapServer({
    store,
    tls: { key: await readFile(pki.paths.tlsKey), cert: await readFile(pki.paths.tls) },
    logger: options.logger ?? silentLogger,
    maxMessageBytes: options.maxMessageBytes ?? 10 * 1024 * 1024,
    maxMailboxes: options.maxMailboxes,
    // imap-core keeps an IDLE's timer even after its connection is gone: bound how long a
    // leaked one could keep the test process alive
    idleTimeoutMs: 10_000,
    authenticate: async (username, password) => {
      const account = await store.accounts.getByAddress(username.toLowerCase());
      if (!account || account.state !== 'active') return null;
      return (await verifyPassword(password, account.passwordHash)) ? { accountId: account.id, address: account.address } : null;
    },
    onRetrieval: async (message, accountId) => {
      if (harness.failRetrievals) throw new Error('evidence queue unavailable');
      harness.retrievals.push({ messageId: message.id, accountId, kind: message.kind });
    },
  });
  harness.port = (await harness.server.listen({ port: 0, host: '127.0.0.1', secure: false })).port;
  harness.tlsPort = (await harness.server.listen({ port: 0, host: '127.0.0.1', secure: true })).port;
  return harness;
}

// ---------------------------------------------------------------- raw protocol client

export interface RawResponse {
  /** The tagged completion line, e.g. `A3 OK FETCH completed`. */
  tagged: string;
  /** Everything the server sent for the command, exact bytes (literals included). */
  raw: Buffer;
  /** Untagged lines with literals replaced by `{n}` markers (for matching). */
  lines: string[];
  /** Literal payloads in order of appearance. */
  literals: Buffer[];
}

export interface TlsClientOptions {
  ca: Buffer;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

/** Line-level IMAP client: sends exactly what the test writes, returns exactly what came back. */
export class RawImap {
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private tagCounter = 0;
  greeting = '';

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static async connect(port: number, opts: { tls?: TlsClientOptions } = {}): Promise<RawImap> {
    const socket = opts.tls ? tls.connect({ host: '127.0.0.1', port, ...opts.tls, ca: [opts.tls.ca] }) : net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new RawImap(socket);
    client.greeting = await client.readLine();
    return client;
  }

  /** Upgrades the connection after a successful STARTTLS. */
  async startTls(ca: Buffer, options: Omit<TlsClientOptions, 'ca'> = {}): Promise<void> {
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket as net.Socket, ...options, ca: [ca], servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Sends `TAG <text>` and collects the response up to the tagged line. */
  async command(text: string): Promise<RawResponse> {
    const tag = `T${++this.tagCounter}`;
    this.socket.write(`${tag} ${text}\r\n`);
    return this.collect(tag);
  }

  /** Writes raw bytes (continuations, IDLE's DONE, literals). */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits for one CRLF-terminated line. */
  async readLine(): Promise<string> {
    for (;;) {
      const nl = this.buffer.indexOf('\r\n');
      if (nl >= 0) {
        const line = this.buffer.subarray(0, nl).toString('latin1');
        this.buffer = this.buffer.subarray(nl + 2);
        return line;
      }
      await this.more();
    }
  }

  async close(): Promise<void> {
    this.socket.destroy();
  }

  /** Sends a command whose tagged answer will not come yet (IDLE); returns its tag. */
  begin(text: string): string {
    const tag = `T${++this.tagCounter}`;
    this.socket.write(`${tag} ${text}\r\n`);
    return tag;
  }

  async collect(tag: string): Promise<RawResponse> {
    const chunks: Buffer[] = [];
    const lines: string[] = [];
    const literals: Buffer[] = [];
    for (;;) {
      const line = await this.readRawLine();
      chunks.push(line.raw);
      let text = line.text;
      // a line ending in {n} is followed by n literal bytes, then the rest of the line
      let m = /\{(\d+)\}$/.exec(text);
      while (m) {
        const literal = await this.readBytes(Number(m[1]));
        chunks.push(literal);
        literals.push(literal);
        const rest = await this.readRawLine();
        chunks.push(rest.raw);
        text += rest.text;
        m = /\{(\d+)\}$/.exec(rest.text);
      }
      if (text.startsWith(tag + ' ')) {
        return { tagged: text, raw: Buffer.concat(chunks), lines, literals };
      }
      lines.push(text);
    }
  }

  private async readRawLine(): Promise<{ text: string; raw: Buffer }> {
    for (;;) {
      const nl = this.buffer.indexOf('\r\n');
      if (nl >= 0) {
        const raw = this.buffer.subarray(0, nl + 2);
        this.buffer = this.buffer.subarray(nl + 2);
        return { text: raw.subarray(0, nl).toString('latin1'), raw };
      }
      await this.more();
    }
  }

  private async readBytes(n: number): Promise<Buffer> {
    while (this.buffer.length < n) await this.more();
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return Buffer.from(out);
  }

  private more(): Promise<void> {
    if (this.socket.destroyed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const onClose = (): void => reject(new Error('connection closed'));
      this.socket.once('close', onClose);
      this.waiters.push(() => {
        this.socket.off('close', onClose);
        resolve();
      });
    });
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }
}

/** Logs in a raw client over implicit TLS. */
export async function rawLogin(h: ImapHarness, account: AccountRecord): Promise<RawImap> {
  const raw = await RawImap.connect(h.tlsPort, { tls: { ca: h.caPem } });
  const res = await raw.command(`LOGIN ${account.address} "${h.password}"`);
  if (!res.tagged.includes(' OK ')) throw new Error(`login failed: ${res.tagged}`);
  return raw;
}
