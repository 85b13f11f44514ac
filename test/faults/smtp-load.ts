/**
 * Steady SMTP load on a daemon that may die at any moment: several concurrent sessions, each
 * a nodemailer connection (STARTTLS or implicit TLS) submitting message after message, and
 * a ledger entry per message with what the client was told: 250 + queue id, a 4xx/5xx reply,
 * or nothing it can trust (the connection broke: outcome unknown).
 */
import { randomInt } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { KepdRunner, Ports } from './kepd-process';
import { largeSignedOriginal, signedOriginal, unsignedOriginal, type FaultUser } from './provider';

export type Outcome =
  | { kind: 'accepted'; id: string }
  | { kind: 'refused'; code: number; response: string }
  | { kind: 'unknown'; error: string; stage?: string };

export interface SubmissionEntry {
  n: number;
  /** The original's Message-ID (UAMessageIdentifier in its evidence). */
  uaMessageId: string;
  sender: string;
  recipients: string[];
  /** Signed by the sender: must be accepted; unsigned ones must be refused with evidence. */
  signed: boolean;
  /** Over the store's inline blob threshold (a file blob; its dispatch a composite around it). */
  large?: boolean;
  outcome?: Outcome;
}

export interface SmtpLoadOptions {
  sessions: number;
  caPem: string;
  /** Share of unsigned originals (refused, with a rejection evidence). */
  unsignedRatio?: number;
  /** Share of signed originals of LARGE_BYTES. */
  largeRatio?: number;
  maxRecipients?: number;
  /** Pause between two messages of one session. */
  pauseMs?: [number, number];
  tag: string;
}

/** Over the default store.inline_blob_bytes (256 KiB). */
const LARGE_BYTES = 300_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitUp(runner: KepdRunner, stopping: () => boolean): Promise<Ports | undefined> {
  while (!stopping()) {
    const c = runner.current;
    if (c?.alive()) return c.ports;
    await sleep(10);
  }
  return undefined;
}

export function classify(err: unknown): Outcome {
  const e = err as { responseCode?: number; response?: string; code?: string; command?: string; message?: string };
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) return { kind: 'refused', code: e.responseCode, response: e.response ?? '' };
  return { kind: 'unknown', error: `${e.code ?? ''} ${e.message ?? String(err)}`.trim(), stage: e.command };
}

export class SmtpLoad {
  readonly entries: SubmissionEntry[] = [];
  inFlight = 0;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  constructor(
    private readonly runner: KepdRunner,
    private readonly users: FaultUser[],
    private readonly opts: SmtpLoadOptions,
  ) {}

  start(): void {
    for (let s = 0; s < this.opts.sessions; s++) this.loops.push(this.session(s));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** The next message of a session: its own sender, 1..maxRecipients of the others. */
  private pick(sender: FaultUser): SubmissionEntry {
    const users = this.users;
    const others = users.filter((u) => u !== sender);
    const count = 1 + randomInt(Math.min(this.opts.maxRecipients ?? 3, others.length));
    const recipients = [...others].sort(() => Math.random() - 0.5).slice(0, count).map((u) => u.address);
    const n = this.next++;
    const signed = Math.random() >= (this.opts.unsignedRatio ?? 0);
    return {
      n,
      uaMessageId: `<${this.opts.tag}-${n}@client.test>`,
      sender: sender.address,
      recipients,
      signed,
      large: signed && Math.random() < (this.opts.largeRatio ?? 0),
    };
  }

  private async session(index: number): Promise<void> {
    // One authenticated connection per session and daemon incarnation, as a mail client keeps
    // it; a broken one (the daemon died) is replaced on the next message.
    let conn: { transport: Transporter; ports: Ports } | undefined;
    try {
      while (!this.stopping) {
        const ports = await waitUp(this.runner, () => this.stopping);
        if (!ports) return;
        const from = this.users[index % this.users.length]!;
        const entry = this.pick(from);
        const subject = `Hata testi ${entry.n}`;
        const raw = !entry.signed
          ? unsignedOriginal(from, entry.recipients, subject, entry.uaMessageId)
          : entry.large
            ? largeSignedOriginal(from, entry.recipients, subject, entry.uaMessageId, LARGE_BYTES)
            : signedOriginal(from, entry.recipients, subject, entry.uaMessageId);
        if (!conn || conn.ports !== ports) {
          conn?.transport.close();
          conn = { transport: this.transport(ports, from, (index + entry.n) % 2 === 0), ports };
        }
        this.entries.push(entry);
        entry.outcome = await this.send(conn.transport, entry, raw);
        if (entry.outcome.kind === 'unknown') {
          conn.transport.close();
          conn = undefined;
        }
        const [lo, hi] = this.opts.pauseMs ?? [0, 20];
        await sleep(lo + randomInt(Math.max(1, hi - lo)));
      }
    } finally {
      conn?.transport.close();
    }
  }

  private transport(ports: Ports, from: FaultUser, implicitTls: boolean): Transporter {
    return nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      maxMessages: Infinity,
      host: '127.0.0.1',
      port: implicitTls ? ports.submissions : ports.submission,
      secure: implicitTls,
      requireTLS: !implicitTls,
      auth: { user: from.address, pass: from.password },
      tls: { ca: this.opts.caPem, servername: 'localhost' },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 60_000,
    });
  }

  private async send(transport: Transporter, entry: SubmissionEntry, raw: Buffer): Promise<Outcome> {
    this.inFlight++;
    try {
      const info = (await transport.sendMail({ envelope: { from: entry.sender, to: entry.recipients }, raw })) as { response?: unknown };
      const m = /^250 .*queued as (K[0-9A-Z]{26})/.exec(String(info.response));
      if (!m) return { kind: 'unknown', error: `250 without a queue id: ${String(info.response)}` };
      return { kind: 'accepted', id: m[1]! };
    } catch (err) {
      return classify(err);
    } finally {
      this.inFlight--;
    }
  }
}

/** One message on its own connection (implicit TLS), with the outcome the ledger records. */
export async function submitOne(ports: Ports, caPem: string, from: FaultUser, entry: SubmissionEntry, raw: Buffer): Promise<Outcome> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: ports.submissions,
    secure: true,
    auth: { user: from.address, pass: from.password },
    tls: { ca: caPem, servername: 'localhost' },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
  try {
    const info = (await transport.sendMail({ envelope: { from: entry.sender, to: entry.recipients }, raw })) as { response?: unknown };
    const m = /^250 .*queued as (K[0-9A-Z]{26})/.exec(String(info.response));
    return m ? { kind: 'accepted', id: m[1]! } : { kind: 'unknown', error: `250 without a queue id: ${String(info.response)}` };
  } catch (err) {
    return classify(err);
  } finally {
    transport.close();
  }
}
