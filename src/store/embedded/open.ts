/** Opens the embedded store (SQLite + files) on a data directory. */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { IntegrityReport, MailStore, StoreOp, StoreOpResult } from '../types';
import { dataPaths } from '../../config/paths';
import { silentLogger, type Logger } from '../../log';
import type { StoreContext } from './context';
import { EmbeddedAccountRepo } from './accounts';
import { recoverStagedEvidence } from './archive-recovery';
import { EmbeddedBlobStore } from './blob-store';
import { commitOps } from './commit';
import { SqliteDb } from './database';
import { EmbeddedEvidenceArchive } from './evidence';
import { asStoreFailure } from './failures';
import { ensureDirDurable, removeIfExists } from './files';
import { checkIntegrity } from './integrity';
import { EmbeddedJobQueue } from './jobs';
import { EmbeddedLoginAuditLog } from './login-audit';
import { EmbeddedMailboxRepo } from './mailboxes';
import { EmbeddedMessageRepo } from './messages';
import { migrate } from './migrations';
import { EmbeddedOperatorRepo } from './operators';
import { EmbeddedSubmissionRepo } from './submissions';
import { DEFAULT_BLOB_GRACE_MS, sweepBlobs } from './sweep';
import { isStaleTempFile } from './temp-files';

export const DATABASE_FILE = 'kepd.sqlite';

export interface EmbeddedStoreOptions {
  dataDir: string;
  logger?: Logger;
  /** Clock for record times, job schedules and leases (tests move it). */
  now?: () => Date;
  busyTimeoutMs?: number;
  /** How long an unreferenced blob counts as in flight (sweep and integrity check). */
  blobGraceMs?: number;
}

class EmbeddedMailStore implements MailStore {
  readonly blobs: EmbeddedBlobStore;
  readonly accounts: EmbeddedAccountRepo;
  readonly operators: EmbeddedOperatorRepo;
  readonly mailboxes: EmbeddedMailboxRepo;
  readonly messages: EmbeddedMessageRepo;
  readonly submissions: EmbeddedSubmissionRepo;
  readonly evidence: EmbeddedEvidenceArchive;
  readonly jobs: EmbeddedJobQueue;
  readonly loginAudit: EmbeddedLoginAuditLog;
  readonly events: EventEmitter;

  constructor(
    private readonly ctx: StoreContext,
    private readonly blobGraceMs: number,
  ) {
    this.events = ctx.events;
    this.blobs = new EmbeddedBlobStore(ctx);
    this.accounts = new EmbeddedAccountRepo(ctx);
    this.operators = new EmbeddedOperatorRepo(ctx);
    this.mailboxes = new EmbeddedMailboxRepo(ctx);
    this.messages = new EmbeddedMessageRepo(ctx, (ops) => this.commit(ops));
    this.submissions = new EmbeddedSubmissionRepo(ctx);
    this.evidence = new EmbeddedEvidenceArchive(ctx);
    this.jobs = new EmbeddedJobQueue(ctx);
    this.loginAudit = new EmbeddedLoginAuditLog(ctx);
  }

  commit(ops: StoreOp[]): Promise<StoreOpResult[]> {
    return commitOps(this.ctx, ops);
  }

  integrityCheck(): Promise<IntegrityReport> {
    return checkIntegrity(this.ctx, { blobGraceMs: this.blobGraceMs });
  }

  async sweepBlobs(options?: { olderThanMs?: number }): Promise<{ removed: number; bytes: number }> {
    try {
      return sweepBlobs(this.ctx, options?.olderThanMs ?? this.blobGraceMs);
    } catch (err) {
      throw asStoreFailure(err);
    }
  }

  async close(): Promise<void> {
    this.ctx.db.close();
  }
}

/** Temp files of writers that died were never acknowledged: remove them. */
async function removeStaleTempFiles(tmpDir: string, logger: Logger): Promise<void> {
  const stale = (await fs.readdir(tmpDir)).filter(isStaleTempFile);
  for (const name of stale) await removeIfExists(join(tmpDir, name));
  if (stale.length > 0) logger.info({ removed: stale.length }, 'removed temp files left by a crash');
}

export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<MailStore> {
  const paths = dataPaths(options.dataDir);
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  for (const dir of [paths.dbDir, paths.blobsDir, paths.archiveDir, paths.tmpDir]) await ensureDirDurable(dir);
  const db = new SqliteDb({ file: join(paths.dbDir, DATABASE_FILE), busyTimeoutMs: options.busyTimeoutMs });
  try {
    migrate(db, now);
  } catch (err) {
    db.close();
    throw asStoreFailure(err);
  }
  const ctx: StoreContext = { db, paths, now, logger, events: new EventEmitter() };
  try {
    // Evidence files a crash left half-committed first: their temp links say what to keep.
    await recoverStagedEvidence(ctx);
    await removeStaleTempFiles(paths.tmpDir, logger);
  } catch (err) {
    db.close();
    throw asStoreFailure(err);
  }
  return new EmbeddedMailStore(ctx, options.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS);
}
