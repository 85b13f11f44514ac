/**
 * Group commit: every write of the store is a request to this queue. Requests that arrive
 * while a batch is being made durable wait; the next flush applies all of them in one SQLite
 * transaction, each inside its own SAVEPOINT (a request that fails rolls back only itself and
 * rejects only its own promise), then one WAL fsync (wal-sync.ts) makes the whole batch
 * durable. Only then does any promise of the batch settle and do its events fire.
 *
 * A request alone does not wait for company: the flush is scheduled for the end of the
 * current turn of the event loop (setImmediate), which is also what lets the requests of one
 * turn share a transaction.
 *
 * Readers of this connection see a batch only once it is durable: `settled()` tells them to
 * wait while a committed batch awaits its fsync. No batch commits while one is unsynced, and
 * a flush is never run from a microtask, so a reader resumed by a sync (a microtask) reads
 * exactly the durable state.
 */
import { StoreUnavailable } from '../errors';
import type { SqliteDb } from './database';
import { asStoreFailure } from './failures';
import type { WalSyncer } from './wal-sync';
import type { WriteGate } from './write-gate';

export interface WriteRequest<T> {
  /** Runs inside the batch's transaction, in the request's own savepoint; synchronous. */
  run(): T;
  /** Runs once the batch is durable, for a request that succeeded (events). */
  done?(result: T): void;
  /** In a batch of its own (for work with effects outside the database, like the sweep). */
  alone?: boolean;
}

interface Entry {
  request: WriteRequest<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/** Most requests in one transaction: bounds the latency of the first one in a long queue. */
const MAX_BATCH = 512;

export interface GroupCommitStats {
  batches: number;
  requests: number;
  syncs: number;
  /** Transactions cut short for another thread waiting at the gate. */
  yields: number;
}

export class GroupCommit {
  private queue: Entry[] = [];
  private scheduled = false;
  /** A committed batch awaiting its fsync (readers wait for it). */
  private syncing?: Promise<void>;
  private busy = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  readonly stats: GroupCommitStats = { batches: 0, requests: 0, syncs: 0, yields: 0 };

  constructor(
    private readonly db: SqliteDb,
    private readonly syncer: WalSyncer,
    private readonly onSyncError: (err: unknown) => void = () => undefined,
    /** Taken around each transaction (write-gate.ts); none when one thread writes alone. */
    private readonly gate?: WriteGate,
    /**
     * A transaction that has run this long while another thread waits at the gate commits the
     * requests applied so far and leaves the rest of its batch for the next one (undefined:
     * never). The job threads yield, so the thread serving every SMTP session does not sit
     * blocked behind a long batch of dispatches (measured: 10–13 ms holds, up to 36 ms).
     */
    private readonly yieldAfterMs?: number,
  ) {}

  submit<T>(request: WriteRequest<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailable('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ request: request as WriteRequest<unknown>, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Undefined when everything this connection committed is durable; else resolves when it is. */
  settled(): Promise<void> | undefined {
    return this.syncing;
  }

  /** Stops taking requests and resolves when every accepted one has settled. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.busy || this.queue.length > 0 || this.scheduled) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private takeBatch(): Entry[] {
    const first = this.queue[0];
    if (first.request.alone) return this.queue.splice(0, 1);
    let n = 1;
    while (n < this.queue.length && n < MAX_BATCH && !this.queue[n].request.alone) n++;
    return this.queue.splice(0, n);
  }

  private flush(): void {
    if (this.busy || this.queue.length === 0) return this.idleCheck();
    this.busy = true;
    const batch = this.takeBatch();
    let changed: boolean;
    this.gate?.enter();
    try {
      changed = this.apply(batch);
    } catch (err) {
      // BEGIN, COMMIT or a rollback failed: nothing of the batch is in the database.
      if (this.db.raw.inTransaction) {
        try {
          this.db.raw.exec('ROLLBACK');
        } catch {
          // The connection rolls back on its own when it cannot; the error below is what counts.
        }
      }
      const failure = asStoreFailure(err);
      for (const e of batch) e.reject(e.outcome && !e.outcome.ok ? e.outcome.error : failure);
      return this.finish();
    } finally {
      this.gate?.leave();
    }
    const applied = batch.filter((e) => e.outcome !== undefined);
    if (!changed) {
      this.settle(applied);
      return this.finish();
    }
    this.stats.syncs += 1;
    this.syncing = this.syncer.sync().then(
      () => {
        this.syncing = undefined;
        this.settle(applied);
        this.finish();
      },
      (err: unknown) => {
        // Durability unknown: report failure; idempotency keys make the callers' retries safe.
        this.syncing = undefined;
        this.onSyncError(err);
        const failure = asStoreFailure(err);
        const unavailable = failure instanceof StoreUnavailable ? failure : new StoreUnavailable('could not make the store durable (fsync failed)', err);
        for (const e of applied) e.reject(e.outcome?.ok ? unavailable : e.outcome?.error);
        this.finish();
      },
    );
  }

  /**
   * One transaction over the batch; returns whether it changed anything (else no fsync is
   * needed). Requests whose work a lost transaction took with it go back to the queue's head.
   */
  // Transaction statements run prepared (cached): exec() would parse them anew every time.
  private apply(batch: Entry[]): boolean {
    const raw = this.db.raw;
    const before = this.totalChanges();
    this.db.stmt('BEGIN IMMEDIATE').run();
    this.stats.batches += 1;
    const began = performance.now();
    for (let i = 0; i < batch.length; i++) {
      if (i > 0 && this.shouldYield(began)) {
        // Not started: back to the head of the queue, for the next batch.
        this.queue.unshift(...batch.splice(i));
        this.stats.yields += 1;
        break;
      }
      const e = batch[i];
      this.db.stmt('SAVEPOINT kepd_request').run();
      try {
        e.outcome = { ok: true, value: e.request.run() };
        this.db.stmt('RELEASE kepd_request').run();
        this.stats.requests += 1;
      } catch (err) {
        e.outcome = { ok: false, error: asStoreFailure(err) };
        if (raw.inTransaction) {
          raw.exec('ROLLBACK TO kepd_request');
          this.db.stmt('RELEASE kepd_request').run();
          continue;
        }
        // Some errors (a full disk, I/O) make SQLite roll back the whole transaction: the
        // requests before this one lost their work and run again in the next batch.
        const after = batch.splice(i + 1);
        const earlier = batch.splice(0, i);
        const redo = earlier.filter((x) => x.outcome?.ok);
        for (const x of redo) x.outcome = undefined;
        batch.unshift(...earlier.filter((x) => x.outcome !== undefined));
        this.queue.unshift(...redo, ...after);
        return false;
      }
    }
    try {
      this.db.stmt('COMMIT').run();
    } catch (err) {
      if (raw.inTransaction) raw.exec('ROLLBACK');
      throw err;
    }
    return this.totalChanges() !== before;
  }

  private shouldYield(began: number): boolean {
    return this.yieldAfterMs !== undefined && performance.now() - began >= this.yieldAfterMs && this.gate?.othersWaiting() === true;
  }

  private totalChanges(): number {
    return (this.db.stmt('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  private settle(entries: Entry[]): void {
    for (const e of entries) {
      const outcome = e.outcome!;
      if (!outcome.ok) {
        e.reject(outcome.error);
        continue;
      }
      try {
        e.request.done?.(outcome.value);
      } catch {
        // Events are best effort (context.ts logs listener failures); the write stands.
      }
      e.resolve(outcome.value);
    }
  }

  private finish(): void {
    this.busy = false;
    if (this.queue.length > 0) this.schedule();
    else this.idleCheck();
  }

  private idleCheck(): void {
    if (this.busy || this.scheduled || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
