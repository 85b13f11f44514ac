/**
 * Store commit throughput: the store's share of delivering one registered message, run at a
 * given concurrency through the public MailStore API only (so it measures any build of the
 * store, older ones included). One unit of work is what the pipeline asks of the store per
 * message with one local recipient:
 *   acceptance  the original streamed in, committed with its submission, acceptance evidence
 *               and dispatch job;
 *   dispatch    job claimed; the REM dispatch and the two receipts (acceptance, delivery)
 *               stored, committed with the sender's Sent copy, the INBOX copy, the delivery
 *               evidence, the receipts in the sender's Delil and the job's completion (one
 *               job per message).
 * Used by bench/store-commit.js.
 */
import { randomBytes } from 'node:crypto';
import type { BlobRef, MailStore, NewEvidence, StoreOp } from '../types';

export interface StoreCommitBenchOptions {
  store: MailStore;
  /** Messages to push through. */
  units: number;
  /** Messages in flight at once (SMTP sessions). */
  concurrency: number;
  /** Size of each original (the dispatch and receipts are sized after it). */
  bodyBytes?: number;
}

export interface StoreCommitBenchResult {
  units: number;
  concurrency: number;
  seconds: number;
  unitsPerSecond: number;
  /** Write calls (commits, claims) made; each is one transaction before group commit. */
  writes: number;
  writesPerSecond: number;
}

const EVIDENCE_XML_BYTES = 9 * 1024;

function evidence(kind: 'acceptance' | 'delivery' | 'receipt', tag: string, accountId: string): NewEvidence {
  const id = `ev-${tag}-${kind}@bench.kep`;
  const xml = Buffer.from(`<Evidence Id="${id}">${randomBytes(EVIDENCE_XML_BYTES / 2).toString('hex')}</Evidence>`);
  return {
    record: {
      id,
      type: kind === 'acceptance' ? 'SubmissionAcceptanceRejection' : 'DeliveryNonDeliveryToRecipient',
      event: kind === 'acceptance' ? 'Acceptance' : 'Delivery',
      messageId: tag,
      recipientIndex: kind === 'acceptance' ? undefined : 1,
      accountId,
      eventTime: new Date(),
    },
    xml,
    data: { id, kind, note: randomBytes(64).toString('hex') },
    uniqueKey: `${kind}:${tag}`,
  };
}

async function streamBlob(store: MailStore, bytes: number): Promise<BlobRef> {
  const writer = store.blobs.createWriter();
  for (let left = bytes; left > 0; left -= 16 * 1024) {
    if (!writer.write(randomBytes(Math.min(left, 16 * 1024)))) await new Promise((r) => writer.once('drain', r));
  }
  writer.end();
  return (await writer.pending).commit();
}

async function oneMessage(store: MailStore, n: number, bodyBytes: number, sender: string, recipient: string, count: () => void): Promise<void> {
  const tag = `B${process.pid}x${n}x${randomBytes(4).toString('hex')}`;
  const original = await streamBlob(store, bodyBytes);
  count();
  await store.commit([
    {
      op: 'putSubmission',
      submission: { id: tag, accountId: sender, sender: 's@bench.kep', recipients: ['r@bench.kep'], blob: original, subject: 'bench', iletiTip: 'standart', submittedAt: new Date() },
    },
    { op: 'putEvidence', evidence: evidence('acceptance', tag, sender) },
    { op: 'enqueueJob', job: { kind: 'bench-dispatch', payload: { tag }, uniqueKey: `dispatch:${tag}` } },
  ]);

  count();
  const [job] = await store.jobs.claim({ limit: 1, leaseMs: 60_000, kinds: ['bench-dispatch'] });
  const dispatch = await streamBlob(store, bodyBytes + EVIDENCE_XML_BYTES + 4096);
  const receipts = [await store.blobs.put(randomBytes(EVIDENCE_XML_BYTES + 6 * 1024), { unique: true }), await store.blobs.put(randomBytes(EVIDENCE_XML_BYTES + 6 * 1024), { unique: true })];
  const ops: StoreOp[] = [
    { op: 'appendMessage', message: { accountId: sender, mailboxPath: 'Sent', blob: original, kind: 'sent', flags: ['\\Seen'], providerMessageId: tag, dedupeKey: `sent:${tag}` } },
    { op: 'appendMessage', message: { accountId: recipient, mailboxPath: 'INBOX', blob: dispatch, kind: 'dispatch', providerMessageId: tag, recipientIndex: 1, dedupeKey: `dispatch:${tag}:1` } },
    { op: 'putEvidence', evidence: evidence('delivery', tag, sender) },
    ...receipts.map(
      (blob, i): StoreOp => ({ op: 'appendMessage', message: { accountId: sender, mailboxPath: 'Delil', blob, kind: 'receipt', dedupeKey: `receipt:${tag}:${i}` } }),
    ),
  ];
  if (job) ops.push({ op: 'completeJob', job });
  count();
  await store.commit(ops);
}

export async function benchStoreCommit(options: StoreCommitBenchOptions): Promise<StoreCommitBenchResult> {
  const { store, units, concurrency } = options;
  const bodyBytes = options.bodyBytes ?? 10 * 1024;
  const stamp = randomBytes(4).toString('hex');
  const account = (address: string) =>
    store.accounts.create({ address, type: 'person', passwordHash: 'x', receiveOnly: false, quotaBytes: 1e15, state: 'active' });
  const sender = await account(`sender.${stamp}@bench.kep`);
  const recipient = await account(`recipient.${stamp}@bench.kep`);
  let next = 0;
  let writes = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (next < units) {
        const n = next++;
        await oneMessage(store, n, bodyBytes, sender.id, recipient.id, () => writes++);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { units, concurrency, seconds, unitsPerSecond: units / seconds, writes, writesPerSecond: writes / seconds };
}
