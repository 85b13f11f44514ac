/** What every part of the embedded store shares: the connection, the layout, the clock. */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../../log';
import type { DataPaths } from '../../config/paths';
import type { SqliteDb } from './database';
import type { GroupCommit } from './group-commit';
import type { StagedBlobs } from './staged-blobs';

export interface StoreContext {
  db: SqliteDb;
  paths: DataPaths;
  now: () => Date;
  logger: Logger;
  events: EventEmitter;
  /** Every write goes through it (group-commit.ts). */
  writer: GroupCommit;
  /** Small blobs waiting for the commit that references them. */
  staged: StagedBlobs;
  /** Blobs up to this size are stored in the database, larger ones as files. */
  inlineBlobBytes: number;
}

/** Whether a blob of `size` bytes is stored in the database (0 = never). */
export function fitsInline(ctx: StoreContext, size: number): boolean {
  return ctx.inlineBlobBytes > 0 && size <= ctx.inlineBlobBytes;
}

/**
 * What a reader must await before it looks: undefined when all this connection committed is
 * durable, else the fsync in progress. Readers thus never see a write that could still be
 * lost (group-commit.ts).
 */
export function durable(ctx: StoreContext): Promise<void> | undefined {
  return ctx.writer.settled();
}

/**
 * Emits a store event after a change is durable. A listener's failure must not turn a
 * committed change into an error for the caller, so it is logged instead.
 */
export function notify(ctx: StoreContext, event: 'mailbox-change' | 'jobs', payload?: { accountId: string; mailboxId: string }): void {
  try {
    if (payload) ctx.events.emit(event, payload);
    else ctx.events.emit(event);
  } catch (err) {
    ctx.logger.error({ err, event }, 'store event listener failed');
  }
}
