/**
 * Writes many small FETCH responses as few large writes. Each write to imap-core's composer
 * costs a transform step and, on a TLS socket, a record and a system call; awaiting each one
 * also puts a round of the event loop between messages. Responses are gathered until
 * `flushBytes`, then handed to the composer as one pre-compiled chunk (the composer adds the
 * final CRLF itself).
 *
 * Backpressure: at most one chunk is in the composer's hands at a time; the next one waits for
 * it (the composer takes a chunk only while the socket keeps up), so memory per session stays
 * near two chunks. If the connection closes meanwhile, the wait ends with ConnectionClosed
 * instead of lasting forever.
 */
import type { ImapSession } from '@zone-eu/wildduck/imap-core';
import { ConnectionClosed } from '../errors';

const CRLF = Buffer.from('\r\n');

export class ResponseBatch {
  private parts: Buffer[] = [];
  private bytes = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(
    private readonly session: ImapSession,
    private readonly flushBytes: number,
  ) {}

  /** Queues one response (its pieces, without the final CRLF); writes when enough is queued. */
  async add(pieces: Buffer[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.parts.length) this.push(CRLF);
    for (const piece of pieces) this.push(piece);
    if (this.bytes >= this.flushBytes) await this.send();
  }

  /** Writes what is queued and resolves once the composer has taken all of it. */
  async flush(): Promise<void> {
    if (this.parts.length) await this.send();
    await this.inFlight;
    if (this.failure) throw this.failure;
  }

  private push(piece: Buffer): void {
    this.parts.push(piece);
    this.bytes += piece.length;
  }

  private async send(): Promise<void> {
    const chunk = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    await this.inFlight;
    if (this.failure) throw this.failure;
    // settles now (no unhandled rejection while the caller reads the next messages); the
    // failure is thrown by the next add() or flush()
    this.inFlight = writeCompiled(this.session, chunk).catch((err: Error) => {
      this.failure = err;
    });
  }
}

/** Hands a compiled chunk to the composer; resolves when taken, rejects if the connection closes first. */
function writeCompiled(session: ImapSession, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = session.socket;
    if (!socket || socket.destroyed) return reject(new ConnectionClosed());
    const onClose = (): void => reject(new ConnectionClosed());
    socket.once('close', onClose);
    session.writeStream.write({ compiled: chunk }, (err?: Error | null) => {
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}
