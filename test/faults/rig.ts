/**
 * A spawned kepd with a few accounts, for the fault scenarios that drive it step by step
 * (TSA faults, a full disk, misbehaving clients): messages are sent one at a time and noted in
 * the same ledger the crash runs use, and `finish()` stops the daemon and runs the ledger check.
 */
import { ImapFlow } from 'imapflow';
import { openEmbeddedStore, type MailStore } from '../../src/store';
import { readDatabase } from '../support/database';
import { settleJobs } from './harness';
import type { ReadRecord } from './imap-readers';
import { KepdRunner, type KepdChild } from './kepd-process';
import { checkLedger, type LedgerReport } from './ledger';
import { createFaultProvider, largeSignedOriginal, signedOriginal, unsignedOriginal, type FaultProvider, type FaultUser } from './provider';
import { submitOne, type SubmissionEntry } from './smtp-load';

export interface FaultRig {
  provider: FaultProvider;
  runner: KepdRunner;
  daemon: KepdChild;
  /** A second connection to the store, for looking (never for writing what the daemon owns). */
  inspector: MailStore;
  entries: SubmissionEntry[];
  user(local: string): FaultUser;
  /** Sends one message on its own connection and records its outcome. */
  send(from: FaultUser, to: FaultUser[], opts?: { signed?: boolean; bytes?: number }): Promise<SubmissionEntry>;
  /** Notes a body fetch made by other means (e.g. a raw client that broke it off). */
  noteRead(local: string, uid: number, outcome: 'read' | 'failed'): void;
  /** Notes a message sent by other means, with what its client was told. */
  noteSubmission(entry: SubmissionEntry): void;
  /** Fetches the body of the dispatch at `uid` in the user's INBOX over IMAP and notes the outcome. */
  read(local: string, uid: number): Promise<'read' | 'failed'>;
  /** Waits until the dispatch job of `messageId` has last failed with an error matching `re` (at most 60 s). */
  dispatchFailed(messageId: string, re: RegExp): Promise<void>;
  /** Waits until no job is pending. */
  settle(timeoutMs?: number): Promise<void>;
  /** Settles, SIGTERM (expects a clean drain), then the ledger check over everything sent and read. */
  finish(): Promise<{ exitCode: number | null; report: LedgerReport }>;
  cleanup(): Promise<void>;
}

/** A read-only look at the queue: the dispatch job's last error (the JobQueue contract has no such query). */
async function waitForDispatchError(dataDir: string, messageId: string, re: RegExp): Promise<void> {
  await readDatabase(dataDir, async (db) => {
    const query = db.prepare(`SELECT last_error FROM jobs WHERE kind = 'dispatch' AND json_extract(payload, '$.messageId') = ?`);
    for (let i = 0; i < 1200; i++) {
      const row = query.get(messageId) as { last_error: string | null } | undefined;
      if (row?.last_error && re.test(row.last_error)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const last = (query.get(messageId) as { last_error: string | null } | undefined)?.last_error;
    throw new Error(`the dispatch of ${messageId} did not fail with ${re} (its last error: ${last ?? 'none'})`);
  });
}

export async function startRig(opts: { tag: string; users: string[]; env?: Record<string, string>; dataDir?: string }): Promise<FaultRig> {
  const provider = await createFaultProvider(opts.users, { dataDir: opts.dataDir });
  const runner = new KepdRunner({ dataDir: provider.dataDir, logDir: provider.root, env: opts.env });
  let daemon: KepdChild;
  let inspector: MailStore | undefined;
  try {
    daemon = await runner.start();
    inspector = await openEmbeddedStore({ dataDir: provider.dataDir });
  } catch (err) {
    if (runner.current) await runner.kill();
    provider.cleanup();
    throw err;
  }
  const entries: SubmissionEntry[] = [];
  const reads = new Map<string, ReadRecord>();
  let n = 0;
  const readRecord = (local: string, uid: number): ReadRecord => {
    const address = rig.user(local).address;
    const key = `${address}/${uid}`;
    const rec = reads.get(key) ?? { address, uid, ok: 0, failed: 0 };
    reads.set(key, rec);
    return rec;
  };
  const rig: FaultRig = {
    provider,
    runner,
    daemon,
    inspector,
    entries,
    user: (local) => {
      const u = provider.users.find((x) => x.address.startsWith(`${local}@`));
      if (!u) throw new Error(`no user ${local}`);
      return u;
    },
    async send(from, to, o = {}) {
      const entry: SubmissionEntry = {
        n: n++,
        uaMessageId: `<${opts.tag}-${n}@client.test>`,
        sender: from.address,
        recipients: to.map((u) => u.address),
        signed: o.signed ?? true,
      };
      const subject = `${opts.tag} ${entry.n}`;
      const raw = !entry.signed
        ? unsignedOriginal(from, entry.recipients, subject, entry.uaMessageId)
        : o.bytes
          ? largeSignedOriginal(from, entry.recipients, subject, entry.uaMessageId, o.bytes)
          : signedOriginal(from, entry.recipients, subject, entry.uaMessageId);
      entries.push(entry);
      entry.outcome = await submitOne(rig.daemon.ports, provider.caPem, from, entry, raw);
      return entry;
    },
    noteRead(local, uid, outcome) {
      const rec = readRecord(local, uid);
      if (outcome === 'read') rec.ok++;
      else rec.failed++;
    },
    noteSubmission(entry) {
      entries.push(entry);
    },
    async read(local, uid) {
      const u = rig.user(local);
      const rec = readRecord(local, uid);
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: rig.daemon.ports.imaps,
        secure: true,
        auth: { user: u.address, pass: u.password },
        tls: { ca: [provider.caPem], servername: 'localhost' },
        logger: false,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.mailboxOpen('INBOX');
        const msg = await client.fetchOne(String(uid), { source: true }, { uid: true }).catch(() => false as const);
        await client.logout();
        const got = msg && msg.source && msg.source.length > 0;
        if (got) rec.ok++;
        else rec.failed++;
        return got ? 'read' : 'failed';
      } catch {
        rec.failed++;
        return 'failed';
      } finally {
        client.close();
      }
    },
    dispatchFailed: (messageId, re) => waitForDispatchError(provider.dataDir, messageId, re),
    settle: (timeoutMs = 60_000) => settleJobs(inspector!, timeoutMs),
    async finish() {
      await rig.settle(120_000);
      await inspector?.close();
      inspector = undefined;
      const exitCode = await runner.stop();
      const report = await checkLedger({
        dataDir: provider.dataDir,
        caPem: provider.caPem,
        users: provider.users.map((u) => u.address),
        submissions: entries,
        reads: reads.values(),
      });
      // A file handle the daemon left to the garbage collector is a leak, whatever else went right.
      for (const line of runner.stderr) if (/on garbage collection/.test(line)) report.problems.push(`daemon: ${line}`);
      return { exitCode, report };
    },
    async cleanup() {
      await inspector?.close();
      inspector = undefined;
      if (runner.current) await runner.kill();
      if (process.env.KEPD_FAULTS_KEEP === '1') process.stderr.write(`fault run kept in ${provider.root}\n`);
      else provider.cleanup();
    },
  };
  return rig;
}
