/**
 * The unit of work. Before the transaction: inputs checked, evidence XML hashed, every
 * referenced blob found — staged in memory (its bytes go into this commit's transaction) or
 * stored (a file must be in place). Then every op in one request to the group commit (its own
 * savepoint in a shared transaction), durable before the promise resolves and before any event.
 * A failure anywhere leaves no change: evidence and small blobs are rows of the same transaction.
 */
import { promises as fs } from 'node:fs';
import type { BlobRef, StoreOp, StoreOpResult } from '../types';
import { BlobNotFound, InvalidStoreInput } from '../errors';
import { notify, type StoreContext } from './context';
import { assertBlobKey, blobPath } from './blob-files';
import { prepareEvidence, putEvidenceInTx, type PreparedEvidence } from './evidence';
import { asStoreFailure } from './failures';
import { isErrno } from './files';
import { blobRow, storeStagedInTx, type StagedReference } from './inline-blobs';
import { completeInTx, enqueueInTx } from './jobs';
import type { WriteRequest } from './group-commit';
import { appendInTx } from './message-writes';
import { putSubmissionInTx } from './submissions';

/** A stored file blob must be a durable file of the recorded size before anything points to it. */
async function assertBlobFile(ctx: StoreContext, ref: BlobRef): Promise<void> {
  try {
    const st = await fs.stat(blobPath(ctx.paths.blobsDir, ref.hash));
    if (st.size !== ref.size) throw new InvalidStoreInput(`blob ${ref.hash} has ${st.size} bytes, not ${ref.size}`);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new BlobNotFound(ref.hash);
    throw err;
  }
}

async function fileInPlace(ctx: StoreContext, ref: BlobRef): Promise<boolean> {
  return assertBlobFile(ctx, ref).then(
    () => true,
    () => false,
  );
}

interface Prepared {
  evidence: (PreparedEvidence | undefined)[];
  /** Staged blobs the ops reference, by hash: stored by this commit. */
  staged: Map<string, StagedReference>;
}

/**
 * Where each referenced blob comes from. A staged blob whose content is already stored as a
 * file in place is not stored twice; one whose file is missing (a crash between the file's row
 * and its link) is stored inline.
 */
async function prepareBlob(ctx: StoreContext, ref: BlobRef, staged: Map<string, StagedReference>): Promise<void> {
  assertBlobKey(ref.hash);
  if (staged.has(ref.hash)) return;
  const row = blobRow(ctx, ref.hash);
  const mem = ctx.staged.get(ref.hash);
  if (mem && mem.size !== ref.size) throw new InvalidStoreInput(`blob ${ref.hash} has ${mem.size} bytes, not ${ref.size}`);
  if (mem) {
    const inline = !row || row.kind === 'inline' || (row.kind === 'file' && !(await fileInPlace(ctx, ref)));
    staged.set(ref.hash, { ...mem, inline });
    return;
  }
  // Not staged here: the transaction checks the row; a file row also needs its file.
  if (row?.kind === 'file') await assertBlobFile(ctx, ref);
  else if (row?.kind === 'composite' && row.size !== ref.size) throw new InvalidStoreInput(`blob ${ref.hash} has ${row.size} bytes, not ${ref.size}`);
}

async function prepare(ctx: StoreContext, ops: StoreOp[]): Promise<Prepared> {
  const prepared: Prepared = { evidence: [], staged: new Map() };
  for (const op of ops) {
    prepared.evidence.push(op.op === 'putEvidence' ? prepareEvidence(op.evidence) : undefined);
    if (op.op === 'appendMessage') await prepareBlob(ctx, op.message.blob, prepared.staged);
    if (op.op === 'putSubmission') await prepareBlob(ctx, op.submission.blob, prepared.staged);
  }
  return prepared;
}

interface Applied {
  results: StoreOpResult[];
  touched: Map<string, string>;
  jobsCreated: boolean;
}

// A loop and plain functions rather than callbacks made per commit: V8 drops a closure's
// optimized code at every full collection once no closure holds it (see evidence/xml-text.ts).
function applyInTx(ctx: StoreContext, ops: StoreOp[], prepared: Prepared): Applied {
  for (const blob of prepared.staged.values()) storeStagedInTx(ctx, blob);
  const applied: Applied = { results: [], touched: new Map<string, string>(), jobsCreated: false };
  for (let i = 0; i < ops.length; i++) applied.results.push(applyOp(ctx, ops[i]!, prepared.evidence[i], applied));
  return applied;
}

function applyOp(ctx: StoreContext, op: StoreOp, evidence: PreparedEvidence | undefined, applied: Applied): StoreOpResult {
  switch (op.op) {
    case 'putSubmission':
      putSubmissionInTx(ctx, op.submission);
      return { op: 'putSubmission' };
    case 'appendMessage': {
      const r = appendInTx(ctx, op.message);
      if (r.created) applied.touched.set(r.message.mailboxId, r.message.accountId);
      return { op: 'appendMessage', created: r.created, message: r.message };
    }
    case 'putEvidence': {
      const r = putEvidenceInTx(ctx, op.evidence, evidence!);
      return { op: 'putEvidence', created: r.created, record: r.record };
    }
    case 'enqueueJob': {
      const r = enqueueInTx(ctx, op.job);
      applied.jobsCreated ||= r.created;
      return { op: 'enqueueJob', created: r.created, jobId: r.jobId };
    }
    case 'completeJob':
      completeInTx(ctx, op.job);
      return { op: 'completeJob' };
    default:
      throw new InvalidStoreInput(`unknown store op ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

export async function commitOps(ctx: StoreContext, ops: StoreOp[]): Promise<StoreOpResult[]> {
  if (ops.length === 0) return [];
  let prepared: Prepared;
  try {
    prepared = await prepare(ctx, ops);
  } catch (err) {
    throw asStoreFailure(err);
  }
  const applied = await ctx.writer.submit(new CommitRequest(ctx, ops, prepared));
  return applied.results;
}

/** One commit as a group-commit request (methods, not closures made per commit). */
class CommitRequest implements WriteRequest<Applied> {
  constructor(
    private readonly ctx: StoreContext,
    private readonly ops: StoreOp[],
    private readonly prepared: Prepared,
  ) {}

  run(): Applied {
    return applyInTx(this.ctx, this.ops, this.prepared);
  }

  done(a: Applied): void {
    // Durable now: the staged copies have done their job.
    for (const hash of this.prepared.staged.keys()) this.ctx.staged.stored(hash);
    for (const [mailboxId, accountId] of a.touched) notify(this.ctx, 'mailbox-change', { accountId, mailboxId });
    if (a.jobsCreated) notify(this.ctx, 'jobs');
  }
}
