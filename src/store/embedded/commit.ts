/**
 * The unit of work. Files first (evidence XML written and fsynced, referenced blobs checked
 * on disk), then every op in one write transaction, then events. A failure anywhere leaves
 * no index change; files written before it are unreferenced and never acknowledged.
 */
import { promises as fs } from 'node:fs';
import type { BlobRef, StoreOp, StoreOpResult } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { notify, type StoreContext } from './context';
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

async function prepareFiles(ctx: StoreContext, ops: StoreOp[]): Promise<(PreparedEvidence | undefined)[]> {
  const prepared: (PreparedEvidence | undefined)[] = [];
  for (const op of ops) {
    if (op.op === 'putEvidence') {
      prepared.push(await prepareEvidence(ctx, op.evidence));
      continue;
    }
    if (op.op === 'appendMessage') await assertBlobFile(ctx, op.message.blob);
    if (op.op === 'putSubmission') await assertBlobFile(ctx, op.submission.blob);
    prepared.push(undefined);
  }
  return prepared;
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
  try {
    const prepared = await prepareFiles(ctx, ops);
    applied = ctx.db.write(() => applyInTx(ctx, ops, prepared));
  } catch (err) {
    throw asStoreFailure(err);
  }
  for (const [mailboxId, accountId] of applied.touched) notify(ctx, 'mailbox-change', { accountId, mailboxId });
  if (applied.jobsCreated) notify(ctx, 'jobs');
  return applied.results;
}
