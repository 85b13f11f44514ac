/**
 * The ledger check after a fault run, on the stopped daemon's data dir. What the clients were
 * told is compared with what the store holds:
 * - a message that got 250 is stored once, in the sender's Sent once and in every recipient's
 *   INBOX once, with one acceptance and one delivery evidence per recipient, all valid;
 * - a message without a 250 left nothing, or (the kill fell between commit and reply) was
 *   completed exactly once like an accepted one; a refused one has its one rejection evidence;
 * - every evidence has exactly one receipt in its account's Delil; nothing else is there;
 * - a dispatch whose body a reader received has exactly one Retrieval evidence, an interrupted
 *   fetch at most one, an unread dispatch none;
 * - the integrity check passes, no temp file is left, every unreferenced blob is one the sweep
 *   removes, and every file in the evidence archive is named by an index row.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseEvidenceXml, verifyEvidence, type EvidenceData } from '../../src/evidence';
import { pemToDerList } from '../../src/pki/pem';
import { openEmbeddedStore, type EvidenceRecord, type MailStore, type MessageRecord, type SubmissionRecord } from '../../src/store';
import type { TestProvider } from '../support/e2e';
import { checkWithStockTools } from '../support/e2e-inspect';
import { readDatabase } from '../support/database';
import { tool } from '../support/evidence-fixtures';
import type { ReadRecord } from './imap-readers';
import type { SubmissionEntry } from './smtp-load';

export interface LedgerInput {
  dataDir: string;
  caPem: string;
  users: string[];
  submissions: SubmissionEntry[];
  reads?: Iterable<ReadRecord>;
  /** Evidences checked with xmllint, xmlsec1 and openssl ts (at least one of each kind). */
  stockToolSample?: number;
}

export interface LedgerFigures {
  sent: number;
  accepted: number;
  refused4xx: number;
  refused5xx: number;
  unknown: number;
  unknownCompleted: number;
  unknownLeftNothing: number;
  submissionsStored: number;
  evidence: number;
  evidenceByKind: Record<string, number>;
  receipts: number;
  dispatches: number;
  /** Dispatches stored as parts around their large original's blob (checked byte for byte). */
  compositeDispatches: number;
  readsDelivered: number;
  readsInterruptedWithEvidence: number;
  readsInterruptedWithoutEvidence: number;
  unreadDispatches: number;
  orphanBlobsSwept: number;
  unindexedArchiveFiles: number;
  stockToolChecks: number;
  lost: number;
  duplicated: number;
  invalidEvidence: number;
}

export interface LedgerReport {
  figures: LedgerFigures;
  problems: string[];
}

interface Loaded {
  evidence: Array<{ record: EvidenceRecord; xml: Buffer; data: EvidenceData }>;
  submissions: SubmissionRecord[];
  boxes: Map<string, { INBOX: MessageRecord[]; Sent: MessageRecord[]; Delil: MessageRecord[] }>;
}

function kindOf(d: { type: string; event: string }): string {
  return `${d.type}/${d.event}`;
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

async function load(store: MailStore, users: string[]): Promise<Loaded> {
  const submissions: SubmissionRecord[] = [];
  const boxes: Loaded['boxes'] = new Map();
  for (const address of users) {
    const account = await store.accounts.getByAddress(address);
    if (!account) throw new Error(`no account ${address}`);
    submissions.push(...(await store.submissions.listByAccount(account.id)));
    const lists = { INBOX: [] as MessageRecord[], Sent: [] as MessageRecord[], Delil: [] as MessageRecord[] };
    for (const path of ['INBOX', 'Sent', 'Delil'] as const) {
      const box = await store.mailboxes.get(account.id, path);
      if (!box) throw new Error(`no ${path} for ${address}`);
      lists[path] = await store.messages.list(box.id);
    }
    boxes.set(address, lists);
  }
  const evidence: Loaded['evidence'] = [];
  for (const record of await store.evidence.list()) {
    const found = await store.evidence.get(record.id);
    if (!found) throw new Error(`evidence ${record.id} listed but not readable`);
    evidence.push({ record, xml: found.xml, data: parseEvidenceXml(found.xml) });
  }
  return { evidence, submissions, boxes };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Blobs stored as composites (blob_parts). */
function compositeBlobs(dataDir: string): Set<string> {
  return readDatabase(dataDir, (db) => new Set(db.prepare('SELECT DISTINCT hash FROM blob_parts').all().map((r) => (r as { hash: string }).hash)));
}

/** Archive files no index row names: signed XML of a commit that never happened (a kill between file and row). */
function unindexedArchive(dataDir: string): string[] {
  const indexed = readDatabase(dataDir, (db) => new Set(db.prepare('SELECT file FROM evidence').all().map((r) => (r as { file: string }).file)));
  const root = join(dataDir, 'archive');
  return walk(root)
    .map((p) => relative(root, p))
    .filter((rel) => !indexed.has(rel));
}

export async function checkLedger(input: LedgerInput): Promise<LedgerReport> {
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let invalidEvidence = 0;
  const problem = (text: string, kind?: 'lost' | 'duplicated' | 'invalid'): void => {
    if (kind === 'lost') lost++;
    if (kind === 'duplicated') duplicated++;
    if (kind === 'invalid') invalidEvidence++;
    if (problems.length < 200) problems.push(text);
  };

  const leftovers = existsSync(join(input.dataDir, 'tmp')) ? readdirSync(join(input.dataDir, 'tmp')) : [];
  for (const name of leftovers) problem(`temp file left behind: tmp/${name}`);

  const store = await openEmbeddedStore({ dataDir: input.dataDir, blobGraceMs: 0 });
  try {
    const pendingJobs = await store.jobs.pendingCount();
    if (pendingJobs > 0) problem(`${pendingJobs} jobs still pending: the run did not settle`);
    const first = await store.integrityCheck();
    const awaitingSweep = first.problems.filter((p) => /: unreferenced \(awaiting sweep\)$/.test(p));
    for (const p of first.problems) if (!awaitingSweep.includes(p)) problem(`integrity: ${p}`);

    const { evidence, submissions, boxes } = await load(store, input.users);
    const subById = new Map(submissions.map((s) => [s.id, s]));
    const subsByUa = countBy(submissions, (s) => s.uaMessageId ?? '');
    const entryByUa = new Map(input.submissions.map((e) => [e.uaMessageId, e]));
    const evByMessage = countBy(evidence, (e) => e.record.messageId ?? '');
    const evByUa = countBy(evidence, (e) => e.data.message?.uaMessageId ?? '');

    // Every stored submission belongs to one ledger entry, once.
    for (const [ua, subs] of subsByUa) {
      const entry = entryByUa.get(ua);
      if (!entry) problem(`submission ${subs.map((s) => s.id).join(',')} (${ua}) matches no message the clients sent`);
      if (subs.length > 1) problem(`message ${ua} stored ${subs.length} times: ${subs.map((s) => s.id).join(', ')}`, 'duplicated');
    }

    let unknownCompleted = 0;
    let unknownLeftNothing = 0;
    const completed: Array<{ entry: SubmissionEntry; sub: SubmissionRecord }> = [];
    for (const entry of input.submissions) {
      const o = entry.outcome;
      const subs = subsByUa.get(entry.uaMessageId) ?? [];
      const sub = subs[0];
      if (!o) {
        problem(`message ${entry.uaMessageId} has no recorded outcome`);
        continue;
      }
      if (o.kind === 'accepted') {
        if (!entry.signed) problem(`unsigned message ${entry.uaMessageId} was accepted (${o.id})`);
        if (!sub) problem(`message ${entry.uaMessageId} got 250 (${o.id}) but is not stored`, 'lost');
        else if (sub.id !== o.id) problem(`message ${entry.uaMessageId} got 250 as ${o.id} but is stored as ${sub.id}`);
      } else if (o.kind === 'refused') {
        if (sub) problem(`message ${entry.uaMessageId} was refused (${o.code}) but stored as ${sub.id}`, 'duplicated');
        if (entry.signed && o.code >= 500) problem(`signed message ${entry.uaMessageId} refused permanently: ${o.response}`);
      } else if (sub) {
        unknownCompleted++;
      } else {
        unknownLeftNothing++;
      }
      if (sub) {
        completed.push({ entry, sub });
        if (sub.sender !== entry.sender || sub.recipients.join(',') !== entry.recipients.join(',')) {
          problem(`message ${entry.uaMessageId}: stored envelope ${sub.sender} → ${sub.recipients.join(',')} differs from the one sent`);
        }
      }
      // Rejection evidence: exactly one for an unsigned message refused with 5xx, at most one when
      // the outcome is unknown, none otherwise (signed, accepted, or a temporary refusal).
      const rejections = (evByUa.get(entry.uaMessageId) ?? []).filter((e) => e.data.event === 'Rejection');
      if (!entry.signed && o.kind === 'refused' && o.code >= 500) {
        if (rejections.length !== 1) problem(`refused message ${entry.uaMessageId} has ${rejections.length} rejection evidences`, rejections.length ? 'duplicated' : 'lost');
      } else if (!entry.signed && o.kind === 'unknown') {
        if (rejections.length > 1) problem(`message ${entry.uaMessageId} has ${rejections.length} rejection evidences`, 'duplicated');
      } else if (rejections.length > 0) {
        problem(`message ${entry.uaMessageId} (${o.kind}) has ${rejections.length} rejection evidences`);
      }
    }

    // Each completed message: one acceptance, one delivery per recipient, one Sent copy, one dispatch per INBOX.
    for (const { entry, sub } of completed) {
      const evs = evByMessage.get(sub.id) ?? [];
      const acceptances = evs.filter((e) => kindOf(e.data) === 'SubmissionAcceptanceRejection/Acceptance');
      if (acceptances.length !== 1) problem(`message ${sub.id}: ${acceptances.length} acceptance evidences`, acceptances.length ? 'duplicated' : 'lost');
      const foreign = evs.filter((e) => e.data.message?.uaMessageId !== entry.uaMessageId);
      if (foreign.length) problem(`message ${sub.id}: ${foreign.length} evidences name another original`);
      const sent = (boxes.get(sub.sender)?.Sent ?? []).filter((m) => m.providerMessageId === sub.id);
      if (sent.length !== 1) problem(`message ${sub.id}: ${sent.length} copies in ${sub.sender} Sent`, sent.length ? 'duplicated' : 'lost');
      sub.recipients.forEach((address, i) => {
        const index = i + 1;
        const deliveries = evs.filter((e) => e.data.type === 'DeliveryNonDeliveryToRecipient' && e.record.recipientIndex === index);
        if (deliveries.length !== 1) problem(`message ${sub.id}: ${deliveries.length} delivery evidences for recipient ${index}`, deliveries.length ? 'duplicated' : 'lost');
        else if (deliveries[0]!.data.event !== 'Delivery') problem(`message ${sub.id}: recipient ${index} got ${deliveries[0]!.data.event}`);
        const inbox = (boxes.get(address)?.INBOX ?? []).filter((m) => m.providerMessageId === sub.id);
        if (inbox.length !== 1) problem(`message ${sub.id}: ${inbox.length} dispatches in ${address} INBOX`, inbox.length ? 'duplicated' : 'lost');
        else if (inbox[0]!.recipientIndex !== index || inbox[0]!.kind !== 'dispatch') problem(`message ${sub.id}: dispatch in ${address} INBOX is not recipient ${index}'s`);
      });
    }

    // Mailboxes hold nothing else.
    const receiptsByEvidence = new Map<string, number>();
    let dispatches = 0;
    let receipts = 0;
    for (const [address, lists] of boxes) {
      for (const m of lists.INBOX) {
        dispatches++;
        if (m.kind !== 'dispatch' || !m.providerMessageId || !subById.has(m.providerMessageId)) problem(`${address} INBOX uid ${m.uid} is no dispatch of a stored message`);
      }
      for (const m of lists.Sent) {
        if (!m.providerMessageId || subById.get(m.providerMessageId)?.sender !== address) problem(`${address} Sent uid ${m.uid} is no message this account sent`);
      }
      for (const m of lists.Delil) {
        receipts++;
        if (m.kind !== 'receipt' || !m.evidenceId) problem(`${address} Delil uid ${m.uid} is no receipt`);
        else receiptsByEvidence.set(`${address}/${m.evidenceId}`, (receiptsByEvidence.get(`${address}/${m.evidenceId}`) ?? 0) + 1);
      }
    }
    const addressOf = new Map<string, string>();
    for (const address of input.users) {
      const account = await store.accounts.getByAddress(address);
      if (account) addressOf.set(account.id, address);
    }
    const knownReceipts = new Set<string>();
    for (const e of evidence) {
      const owner = e.record.accountId ? addressOf.get(e.record.accountId) : undefined;
      if (!owner) {
        problem(`evidence ${e.record.id} belongs to no account of this run`);
        continue;
      }
      const key = `${owner}/${e.record.id}`;
      knownReceipts.add(key);
      const n = receiptsByEvidence.get(key) ?? 0;
      if (n !== 1) problem(`evidence ${e.record.id} (${kindOf(e.data)}): ${n} receipts in ${owner} Delil`, n ? 'duplicated' : 'lost');
      if (e.record.messageId && !subById.has(e.record.messageId) && e.data.event !== 'Rejection') {
        problem(`evidence ${e.record.id} (${kindOf(e.data)}) is about ${e.record.messageId}, which was never accepted`);
      }
    }
    for (const key of receiptsByEvidence.keys()) if (!knownReceipts.has(key)) problem(`receipt ${key} renders no archived evidence`);

    // Read evidence against what the readers got.
    const reads = new Map<string, ReadRecord>();
    for (const r of input.reads ?? []) reads.set(`${r.address}/${r.uid}`, r);
    let readsDelivered = 0;
    let readsInterruptedWithEvidence = 0;
    let readsInterruptedWithoutEvidence = 0;
    let unreadDispatches = 0;
    for (const [address, lists] of boxes) {
      for (const m of lists.INBOX) {
        if (!m.providerMessageId || !m.recipientIndex) continue;
        const n = (evByMessage.get(m.providerMessageId) ?? []).filter(
          (e) => e.data.type === 'RetrievalNonRetrievalByRecipient' && e.record.recipientIndex === m.recipientIndex,
        ).length;
        const r = reads.get(`${address}/${m.uid}`);
        if (r && r.ok > 0) {
          readsDelivered++;
          if (n !== 1) problem(`${address} read ${m.providerMessageId} (${r.ok} fetches) but it has ${n} retrieval evidences`, n ? 'duplicated' : 'lost');
        } else if (r && r.failed > 0) {
          if (n > 1) problem(`${address} ${m.providerMessageId}: ${n} retrieval evidences after interrupted fetches`, 'duplicated');
          if (n === 1) readsInterruptedWithEvidence++;
          else readsInterruptedWithoutEvidence++;
        } else {
          unreadDispatches++;
          if (n !== 0) problem(`${address} never fetched ${m.providerMessageId} but it has ${n} retrieval evidences`);
        }
      }
    }

    // Every evidence is valid: signature, chain, time-stamp, and the digest of its original.
    const anchors = pemToDerList(input.caPem);
    const originals = new Map<string, Buffer>();
    for (const e of evidence) {
      const sub = e.record.messageId ? subById.get(e.record.messageId) : undefined;
      let original: Buffer | undefined;
      if (sub) {
        original = originals.get(sub.id) ?? (await store.blobs.read(sub.blob.hash));
        originals.set(sub.id, original);
      }
      const v = await verifyEvidence(e.xml, { trustAnchors: anchors, original });
      if (!v.valid) problem(`evidence ${e.record.id} (${kindOf(e.data)}) invalid: ${v.problems.join('; ')}`, 'invalid');
    }
    const stockToolChecks = await stockToolSample(input, evidence, problem);
    const remSample: Buffer[] = [];
    for (const lists of boxes.values()) {
      for (const m of [...lists.INBOX.slice(0, 1), ...lists.Delil.slice(-1)]) remSample.push(await store.blobs.read(m.blobHash));
    }
    // A dispatch kept as parts around its original reads back as the bytes its address names,
    // and openssl verifies it like any other.
    const composites = compositeBlobs(input.dataDir);
    let compositeDispatches = 0;
    for (const lists of boxes.values()) {
      for (const m of lists.INBOX) {
        if (!composites.has(m.blobHash)) continue;
        compositeDispatches++;
        const bytes = await store.blobs.read(m.blobHash);
        if (bytes.length !== m.size || createHash('sha256').update(bytes).digest('hex') !== m.blobHash) problem(`dispatch ${m.providerMessageId} (composite) does not read back as its blob`, 'invalid');
        if (compositeDispatches <= 4) remSample.push(bytes);
      }
    }
    for (const f of await opensslVerifyStored(input.dataDir, remSample)) problem(`REM message fails openssl smime -verify: ${f}`, 'invalid');

    const evidenceByKind: Record<string, number> = {};
    for (const e of evidence) evidenceByKind[kindOf(e.data)] = (evidenceByKind[kindOf(e.data)] ?? 0) + 1;

    // What the sweep may remove is exactly what is left unreferenced; after it the store is clean.
    // (It may remove more than the check listed: rows registered just before a kill, whose file was never linked.)
    const swept = await store.sweepBlobs({ olderThanMs: 0 });
    if (swept.removed < awaitingSweep.length) problem(`sweep removed ${swept.removed} blobs, the integrity check listed ${awaitingSweep.length}`);
    const second = await store.integrityCheck();
    for (const p of second.problems) problem(`integrity after sweep: ${p}`);

    // Signed evidence in the archive that no row names was never issued: it must not exist.
    const unindexed = unindexedArchive(input.dataDir);
    for (const rel of unindexed) problem(`archive file ${rel} is named by no index row (a signed evidence that was never issued)`);

    const outcomes = input.submissions.map((e) => e.outcome);
    return {
      problems,
      figures: {
        sent: input.submissions.length,
        accepted: outcomes.filter((o) => o?.kind === 'accepted').length,
        refused4xx: outcomes.filter((o) => o?.kind === 'refused' && o.code < 500).length,
        refused5xx: outcomes.filter((o) => o?.kind === 'refused' && o.code >= 500).length,
        unknown: outcomes.filter((o) => o?.kind === 'unknown').length,
        unknownCompleted,
        unknownLeftNothing,
        submissionsStored: submissions.length,
        evidence: evidence.length,
        evidenceByKind,
        receipts,
        dispatches,
        compositeDispatches,
        readsDelivered,
        readsInterruptedWithEvidence,
        readsInterruptedWithoutEvidence,
        unreadDispatches,
        orphanBlobsSwept: swept.removed,
        unindexedArchiveFiles: unindexed.length,
        stockToolChecks,
        lost,
        duplicated,
        invalidEvidence,
      },
    };
  } finally {
    await store.close();
  }
}

/** xmllint (schema), xmlsec1 and openssl ts on a sample with every kind present; openssl smime on receipts. */
async function stockToolSample(
  input: LedgerInput,
  evidence: Loaded['evidence'],
  problem: (text: string, kind?: 'lost' | 'duplicated' | 'invalid') => void,
): Promise<number> {
  const wanted = input.stockToolSample ?? 4;
  const byKind = countBy(evidence, (e) => kindOf(e.data));
  const sample = [...byKind.values()].map((list) => list[Math.floor(Math.random() * list.length)]!);
  while (sample.length < Math.min(wanted, evidence.length)) sample.push(evidence[Math.floor(Math.random() * evidence.length)]!);
  const p = { caPath: join(input.dataDir, 'pki', 'ca.pem'), dir: input.dataDir } as unknown as TestProvider;
  for (const e of sample) {
    const c = await checkWithStockTools(p, e.xml);
    if (!/validates$/.test(c.schema) || !c.xmlsec.includes('SignedInfo References (ok/all): 2/2') || !c.ts.includes('Verification: OK')) {
      problem(`evidence ${e.record.id} fails stock tools: ${c.schema} | ${c.xmlsec} | ${c.ts}`, 'invalid');
    }
  }
  return sample.length;
}

/** openssl smime -verify of stored REM messages (receipts, dispatches) against the provider CA. */
async function opensslVerifyStored(dataDir: string, blobs: Buffer[]): Promise<string[]> {
  const failures: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kepd-faults-smime-'));
  try {
    for (const [i, bytes] of blobs.entries()) {
      const file = join(dir, `${i}.eml`);
      writeFileSync(file, bytes);
      const r = await tool('openssl', ['smime', '-verify', '-in', file, '-CAfile', join(dataDir, 'pki', 'ca.pem'), '-out', '/dev/null']);
      if (r.code !== 0) failures.push(`${i}: ${r.stderr.trim()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return failures;
}
