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
import { migrate, SCHEMA_VERSION } from './migrations';
import { EmbeddedOperatorRepo } from './operators';
import { EmbeddedSubmissionRepo } from './submissions';
import { GroupCommit } from './group-commit';
import { StagedBlobs } from './staged-blobs';
import { DEFAULT_BLOB_GRACE_MS, sweepBlobs } from './sweep';
import { isStaleTempFile } from './temp-files';
import { writeGateFor } from './write-gate';
import { DEFAULT_CHECKPOINT_OPTIONS, startBackgroundCheckpoints, type BackgroundCheckpoints, type CheckpointOptions } from './checkpointer';
import { WalFileSyncer, type WalSyncer } from './wal-sync';

export const DATABASE_FILE = 'kepd.sqlite';

/**
 * Blobs up to this many bytes are stored in the database (written with the commit that
 * references them), larger ones as files. Chosen by measurement (bench/store-commit.js): up to
 * a few hundred KiB a row costs less than a file's write, fsync, link and directory fsync, and
 * its bytes are written twice at most (WAL, then checkpoint).
 */
export const DEFAULT_INLINE_BLOB_BYTES = 256 * 1024;
/** A staged blob nothing references is dropped after this long (it was never acknowledged). */
export const DEFAULT_STAGED_BLOB_TTL_MS = 10 * 60 * 1000;
/** Staged bytes beyond this are stored as files instead (memory stays bounded). */
export const DEFAULT_MAX_STAGED_BYTES = 64 * 1024 * 1024;
/**
 * WAL pages after which a commit checkpoints (SQLite's default is 1000). Inline blobs make the
 * WAL grow faster; fewer, larger checkpoints write each hot page (mailbox, counters, indexes)
 * once per checkpoint instead of many times.
 */
const WAL_AUTOCHECKPOINT_PAGES = 16000;
/** A WAL left larger than this by a burst is truncated back after the next checkpoint. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface EmbeddedStoreOptions {
  dataDir: string;
  logger?: Logger;
  /** Clock for record times, job schedules and leases (tests move it). */
  now?: () => Date;
  busyTimeoutMs?: number;
  /** How long an unreferenced blob counts as in flight (sweep and integrity check). */
  blobGraceMs?: number;
  /** Blobs up to this size live in the database (`store.inline_blob_bytes`); default 256 KiB. */
  inlineBlobBytes?: number;
  /** How long a staged blob waits for a commit to reference it. */
  stagedBlobTtlMs?: number;
  /** Most bytes staged in memory at once. */
  maxStagedBytes?: number;
  /**
   * Wraps the WAL fsync (tests hold it back to watch what waits for it; the benchmark counts
   * it). Whatever it returns must still make the WAL durable before resolving.
   */
  wrapSyncer?: (syncer: WalSyncer) => WalSyncer;
  /**
   * Who checkpoints the WAL: SQLite inside a commit (`inline`, the default: short-lived
   * processes, tests), a thread this store starts (`background`, the daemon; checkpointer.ts),
   * or such a thread started by another connection of this process (`elsewhere`, job threads).
   */
  checkpoints?: CheckpointMode;
  /** When and how the background thread checkpoints (tests make it eager). */
  checkpointOptions?: Partial<CheckpointOptions>;
  /**
   * A write transaction that has run this long while another thread of this process waits to
   * write commits what it has and leaves the rest of its batch for the next (group-commit.ts);
   * undefined: never. The daemon's job threads set it.
   */
  yieldWritesAfterMs?: number;
}

export type CheckpointMode = 'inline' | 'background' | 'elsewhere';

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
    private readonly syncer: WalSyncer,
    private readonly blobGraceMs: number,
    private readonly checkpointer?: BackgroundCheckpoints,
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
      return await sweepBlobs(this.ctx, options?.olderThanMs ?? this.blobGraceMs);
    } catch (err) {
      throw asStoreFailure(err);
    }
  }

  /** Writes already accepted finish (durably) first. */
  async close(): Promise<void> {
    await this.ctx.writer.close();
    await this.checkpointer?.stop();
    this.ctx.staged.close();
    await this.syncer.close().catch(() => undefined);
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
  const dbFile = join(paths.dbDir, DATABASE_FILE);
  const db = new SqliteDb({ file: dbFile, busyTimeoutMs: options.busyTimeoutMs });
  try {
    // Still synchronous=FULL here: a schema change is durable on its own.
    migrate(db, now, SCHEMA_VERSION, { archiveDir: paths.archiveDir });
    // From now on every write goes through the group commit, which fsyncs the WAL itself
    // before it acknowledges anything (wal-sync.ts).
    db.raw.pragma('synchronous = NORMAL');
    db.raw.pragma(`wal_autocheckpoint = ${(options.checkpoints ?? 'inline') === 'inline' ? WAL_AUTOCHECKPOINT_PAGES : 0}`);
    db.raw.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  } catch (err) {
    db.close();
    throw asStoreFailure(err);
  }
  const fileSyncer = new WalFileSyncer(`${dbFile}-wal`);
  const syncer = options.wrapSyncer ? options.wrapSyncer(fileSyncer) : fileSyncer;
  const gate = writeGateFor(dbFile);
  const writer = new GroupCommit(db, syncer, (err) => logger.error({ err }, 'fsync of the store database failed'), gate, options.yieldWritesAfterMs);
  const staged = new StagedBlobs({
    ttlMs: options.stagedBlobTtlMs ?? DEFAULT_STAGED_BLOB_TTL_MS,
    maxBytes: options.maxStagedBytes ?? DEFAULT_MAX_STAGED_BYTES,
  });
  const inlineBlobBytes = options.inlineBlobBytes ?? DEFAULT_INLINE_BLOB_BYTES;
  const ctx: StoreContext = { db, paths, now, logger, events: new EventEmitter(), writer, staged, inlineBlobBytes };
  try {
    // Evidence files a crash left half-committed by a version before schema 4: their temp
    // links say what to keep.
    await recoverStagedEvidence(ctx);
    await removeStaleTempFiles(paths.tmpDir, logger);
  } catch (err) {
    db.close();
    throw asStoreFailure(err);
  }
  const checkpointer =
    options.checkpoints === 'background'
      ? startBackgroundCheckpoints(dbFile, logger, { ...DEFAULT_CHECKPOINT_OPTIONS, ...options.checkpointOptions }, gate.buffer)
      : undefined;
  return new EmbeddedMailStore(ctx, syncer, options.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS, checkpointer);
}
