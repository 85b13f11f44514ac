/**
 * A time-stamp authority the test controls: RFC 3161 over HTTP answered by the built-in TSA
 * (so tokens are genuine and verify against the dev CA), or, on demand, refusing (HTTP 503),
 * answering with an RFC 3161 rejection, hanging without an answer, answering late, or not
 * listening at all. Counts what it was asked and how it answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { loadSigningIdentity } from '../../src/pki/identity';
import { BuiltInTsa } from '../../src/timestamp';
import { encodeRejection } from '../../src/timestamp/protocol';

export type TsaMode =
  | { kind: 'grant' }
  | { kind: 'delay'; ms: number }
  | { kind: 'http-error'; status: number }
  | { kind: 'rejection' }
  | { kind: 'hang' }
  /** Grants the next `grants` requests, then refuses with HTTP 503. */
  | { kind: 'grant-then-refuse'; grants: number };

export class ControlledTsa {
  mode: TsaMode = { kind: 'grant' };
  readonly counts = { requests: 0, granted: 0, refused: 0, hung: 0 };
  private tsa: BuiltInTsa | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  /** Signs with the TSA key of a kepd data dir (its dev CA then vouches for the tokens). */
  useKeysOf(dataDir: string): void {
    this.tsa = new BuiltInTsa(loadSigningIdentity(join(dataDir, 'pki', 'tsa.pem'), join(dataDir, 'pki', 'tsa.key.pem')));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/tsa`;
  }

  /** Listens (again on the same port after `down()`). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: connections are refused (ECONNREFUSED), open ones are cut. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    this.counts.requests++;
    const mode = this.mode;
    if (mode.kind === 'hang') {
      this.counts.hung++;
      return; // never answered; the client's deadline ends it (or down() cuts it)
    }
    if (!this.tsa || mode.kind === 'http-error' || (mode.kind === 'grant-then-refuse' && mode.grants <= 0)) {
      this.counts.refused++;
      res.writeHead(mode.kind === 'http-error' && this.tsa ? mode.status : 503).end();
      return;
    }
    if (mode.kind === 'rejection') {
      this.counts.refused++;
      const body = encodeRejection('systemFailure', 'time source unavailable');
      res.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': body.length }).end(body);
      return;
    }
    if (mode.kind === 'grant-then-refuse') mode.grants--;
    if (mode.kind === 'delay') await new Promise((r) => setTimeout(r, mode.ms));
    const reply = await this.tsa!.respond(Buffer.concat(chunks));
    this.counts.granted++;
    if (!res.destroyed) res.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': reply.length }).end(reply);
  }
}
