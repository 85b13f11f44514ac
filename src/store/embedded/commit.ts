/**
 * The unit of work. Files first (evidence XML staged in the archive, referenced blobs checked
 * on disk), then every op in one write transaction, then the staged files settled (kept when
 * indexed, removed otherwise), then events. A failure anywhere leaves no index change and no
 * evidence file; a crash midway leaves temp files the next open resolves (archive-recovery.ts).
 */
import { promises as fs } from 'node:fs';
import type { BlobRef, StoreOp, StoreOpResult } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { notify, type StoreContext } from './context';
import { settleStagedFiles } from './archive-files';
import { assertBlobHash, blobPath } from './blob-files';
import { prepareEvidence, putEvidenceInTx, type PreparedEvidence } from './evidence';
import { asStoreFailure } from './failures';
import { isErrno } from './files';
import { completeInTx, enqueueInTx } from './jobs';
import { appendInTx } from './message-writes';
import { putSubmissionInTx } from './submissions';

/** A referenced blob must be a durable file of the recorded size before anything points to it. */
async function assertBlobFile(ctx: StoreContext, ref: BlobRef): Promise<void> {
  assertBlobHash(ref.hash);
  try {
    const st = await fs.stat(blobPath(ctx.paths.blobsDir, ref.hash));
    if (st.size !== ref.size) throw new InvalidStoreInput(`blob ${ref.hash} has ${st.size} bytes, not ${ref.size}`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new BlobNotFound(ref.hash);
    throw err;
  }
}

/** Fills `prepared` op by op, so that a failure midway still tells what was staged. */
async function prepareFiles(ctx: StoreContext, ops: StoreOp[], prepared: (PreparedEvidence | undefined)[]): Promise<void> {
  for (const op of ops) {
    if (op.op === 'putEvidence') {
      prepared.push(await prepareEvidence(ctx, op.evidence));
      continue;
    }
    if (op.op === 'appendMessage') await assertBlobFile(ctx, op.message.blob);
    if (op.op === 'putSubmission') await assertBlobFile(ctx, op.submission.blob);
    prepared.push(undefined);
  }
}

/** Keeps the staged evidence files an index row now names; removes the others (a failed or no-op commit). */
async function settleFiles(ctx: StoreContext, prepared: (PreparedEvidence | undefined)[], results?: StoreOpResult[]): Promise<void> {
  const staged = prepared.flatMap((p, i) => {
    if (p?.kind !== 'written') return [];
    const r = results?.[i];
    return [{ file: p.staged, indexed: r?.op === 'putEvidence' && r.created }];
  });
  if (staged.length > 0) await settleStagedFiles(ctx, staged);
}

interface Applied {
  results: StoreOpResult[];
  touched: Map<string, string>;
  jobsCreated: boolean;
}

function applyInTx(ctx: StoreContext, ops: StoreOp[], prepared: (PreparedEvidence | undefined)[]): Applied {
  const touched = new Map<string, string>();
  let jobsCreated = false;
  const results = ops.map((op, i): StoreOpResult => {
    switch (op.op) {
      case 'putSubmission':
        putSubmissionInTx(ctx, op.submission);
        return { op: 'putSubmission' };
      case 'appendMessage': {
        const r = appendInTx(ctx, op.message);
        if (r.created) touched.set(r.message.mailboxId, r.message.accountId);
        return { op: 'appendMessage', created: r.created, message: r.message };
      }
      case 'putEvidence': {
        const r = putEvidenceInTx(ctx, op.evidence, prepared[i]!);
        return { op: 'putEvidence', created: r.created, record: r.record };
      }
      case 'enqueueJob': {
        const r = enqueueInTx(ctx, op.job);
        jobsCreated ||= r.created;
        return { op: 'enqueueJob', created: r.created, jobId: r.jobId };
      }
      case 'completeJob':
        completeInTx(ctx, op.job);
        return { op: 'completeJob' };
      default:
        throw new InvalidStoreInput(`unknown store op ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  });
  return { results, touched, jobsCreated };
}

export async function commitOps(ctx: StoreContext, ops: StoreOp[]): Promise<StoreOpResult[]> {
  if (ops.length === 0) return [];
  let applied: Applied;
  const prepared: (PreparedEvidence | undefined)[] = [];
  try {
    await prepareFiles(ctx, ops, prepared);
    applied = ctx.db.write(() => applyInTx(ctx, ops, prepared));
  } catch (err) {
    // Nothing was indexed: no evidence file of this commit stays (left over, the next open removes it).
    await settleFiles(ctx, prepared).catch((e: unknown) => ctx.logger.warn({ err: (e as Error).message }, 'could not remove evidence files of a failed commit'));
    throw asStoreFailure(err);
  }
  try {
    await settleFiles(ctx, prepared, applied.results);
  } catch (err) {
    // The commit holds; leftover temp files are resolved by the next open.
    ctx.logger.warn({ err: (err as Error).message }, 'could not tidy staged evidence files after a commit');
  }
  for (const [mailboxId, accountId] of applied.touched) notify(ctx, 'mailbox-change', { accountId, mailboxId });
  if (applied.jobsCreated) notify(ctx, 'jobs');
  return applied.results;
}
