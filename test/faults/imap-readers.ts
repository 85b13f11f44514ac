/**
 * Recipients reading their INBOX (imapflow over implicit TLS) while the daemon may die: each
 * reader lists its dispatches (UIDs only: no retrieval), fetches the full body of some of
 * them (BODY.PEEK[]: a retrieval) and notes per UID how many fetches brought the content and
 * how many broke. Only about `readShare` of the dispatches are ever read, so the ledger can
 * also check that an unread dispatch got no read evidence.
 */
import { createHash, randomInt } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { KepdRunner, Ports } from './kepd-process';
import type { FaultUser } from './provider';
import { waitUp } from './smtp-load';

export interface ReadRecord {
  address: string;
  uid: number;
  /** Fetches that delivered the body. */
  ok: number;
  /** Fetches that broke before the body arrived. */
  failed: number;
}

export interface ImapReadersOptions {
  caPem: string;
  /** Share of dispatches a reader ever fetches (decided per UID, stable). */
  readShare?: number;
  /** Pause between two rounds of a reader. */
  pauseMs?: [number, number];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ImapReaders {
  readonly reads = new Map<string, ReadRecord>();
  inFlight = 0;
  sessions = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly runner: KepdRunner,
    private readonly users: FaultUser[],
    private readonly opts: ImapReadersOptions,
  ) {}

  start(): void {
    for (const u of this.users) this.loops.push(this.reader(u));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Whether this reader ever fetches the dispatch at `uid` (stable, about `readShare`). */
  wants(address: string, uid: number): boolean {
    const h = createHash('sha256').update(`${address}/${uid}`).digest();
    return h[0]! / 256 < (this.opts.readShare ?? 0.6);
  }

  private record(address: string, uid: number): ReadRecord {
    const key = `${address}/${uid}`;
    let r = this.reads.get(key);
    if (!r) {
      r = { address, uid, ok: 0, failed: 0 };
      this.reads.set(key, r);
    }
    return r;
  }

  private async reader(user: FaultUser): Promise<void> {
    while (!this.stopping) {
      const ports = await waitUp(this.runner, () => this.stopping);
      if (!ports) return;
      await this.session(user, ports);
    }
  }

  private async session(user: FaultUser, ports: Ports): Promise<void> {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: ports.imaps,
      secure: true,
      auth: { user: user.address, pass: user.password },
      tls: { ca: [this.opts.caPem], servername: 'localhost' },
      logger: false,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    // A dying daemon surfaces as an 'error' event as well as a rejected command.
    client.on('error', () => undefined);
    this.sessions++;
    try {
      await client.connect();
      await client.mailboxOpen('INBOX');
      // Several rounds per login, as a client that stays connected: list, then fetch a few bodies.
      for (let round = 0; round < 20 && !this.stopping; round++) {
        const uids: number[] = [];
        await client.noop();
        if (client.mailbox && client.mailbox.exists > 0) {
          for await (const m of client.fetch('1:*', { uid: true })) uids.push(m.uid);
        }
        const wanted = uids.filter((uid) => this.wants(user.address, uid));
        for (let i = 0; i < 2 && wanted.length > 0 && !this.stopping; i++) {
          const uid = wanted[randomInt(wanted.length)]!;
          const rec = this.record(user.address, uid);
          this.inFlight++;
          try {
            const msg = await client.fetchOne(String(uid), { source: true }, { uid: true });
            if (msg && msg.source && msg.source.length > 0) rec.ok++;
            else rec.failed++;
          } catch (err) {
            rec.failed++;
            throw err;
          } finally {
            this.inFlight--;
          }
        }
        const [lo, hi] = this.opts.pauseMs ?? [50, 250];
        await sleep(lo + randomInt(Math.max(1, hi - lo)));
      }
      await client.logout();
    } catch {
      // The daemon was killed (or is starting): the next session tries again.
    } finally {
      client.close();
    }
  }
}
