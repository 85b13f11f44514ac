/**
 * Durable jobs with leases. A claim sets a fresh lease token; a worker that crashes lets the
 * lease go: the job becomes claimable again when the lease expires, or at once when the token
 * names a process that is gone (lease-owner.ts). Completing needs the current token, so a
 * worker whose lease was taken over cannot complete (its whole commit fails).
 */
import type { ClaimedJob, JobQueue, JsonObject, NewJob } from '../types';
import { InvalidStoreInput, LeaseLost } from '../errors';
import { durable, type StoreContext } from './context';
import { newId } from './ids';
import { leaseAbandoned, newLeaseToken, threadLeasePrefix } from './lease-owner';

const MAX_ERROR_TEXT = 4000;

interface ClaimRow {
  id: string;
  kind: string;
  payload: string;
  attempts: number;
}

interface RunningRow extends ClaimRow {
  lease_token: string;
}

/** Enqueues a job; a job with the same uniqueKey (pending or done) makes it a no-op. */
export function enqueueInTx(ctx: StoreContext, job: NewJob): { created: boolean; jobId: string } {
  if (typeof job.kind !== 'string' || job.kind.length === 0) throw new InvalidStoreInput('job kind is empty');
  if (typeof job.payload !== 'object' || job.payload === null || Array.isArray(job.payload)) {
    throw new InvalidStoreInput('job payload must be an object');
  }
  const { db } = ctx;
  if (job.uniqueKey !== undefined) {
    const existing = db.get<{ id: string }>('SELECT id FROM jobs WHERE unique_key = ?', job.uniqueKey);
    if (existing) return { created: false, jobId: existing.id };
  }
  const now = ctx.now();
  const id = newId(now);
  db.run(
    `INSERT INTO jobs (id, kind, payload, unique_key, state, run_at, attempts, created_at)
     VALUES (?, ?, ?, ?, 'pending', ?, 0, ?)`,
    id,
    job.kind,
    JSON.stringify(job.payload),
    job.uniqueKey ?? null,
    (job.runAt ?? now).getTime(),
    now.getTime(),
  );
  return { created: true, jobId: id };
}

/** Marks the job done if `job.leaseToken` still holds the lease; LeaseLost otherwise. */
export function completeInTx(ctx: StoreContext, job: ClaimedJob): void {
  const result = ctx.db.run(
    `UPDATE jobs SET state = 'done', lease_token = NULL, lease_until = NULL, done_at = ?
     WHERE id = ? AND state = 'running' AND lease_token = ?`,
    ctx.now().getTime(),
    job.id,
    job.leaseToken,
  );
  if (result.changes === 0) throw new LeaseLost(job.id);
}

export class EmbeddedJobQueue implements JobQueue {
  constructor(private readonly ctx: StoreContext) {}

  async claim(options: { limit: number; leaseMs: number; kinds?: string[] }): Promise<ClaimedJob[]> {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) return [];
    if (!Number.isFinite(options.leaseMs) || options.leaseMs <= 0) throw new InvalidStoreInput('leaseMs must be positive');
    const { db } = this.ctx;
    const kinds = options.kinds === undefined ? null : JSON.stringify(options.kinds);
    const kindFilter = kinds === null ? '' : 'AND kind IN (SELECT value FROM json_each(?))';
    return this.ctx.writer.submit({ run: () => {
      const now = this.ctx.now().getTime();
      const filterParams = kinds === null ? [] : [kinds];
      // Two queries so each uses its partial index; due work first, then expired leases.
      const due = db.all<ClaimRow>(
        `SELECT id, kind, payload, attempts FROM jobs WHERE state = 'pending' AND run_at <= ? ${kindFilter} ORDER BY run_at LIMIT ?`,
        now,
        ...filterParams,
        options.limit,
      );
      const expired =
        due.length < options.limit
          ? db.all<ClaimRow>(
              `SELECT id, kind, payload, attempts FROM jobs WHERE state = 'running' AND lease_until <= ? ${kindFilter} ORDER BY lease_until LIMIT ?`,
              now,
              ...filterParams,
              options.limit - due.length,
            )
          : [];
      // Leases still running on the clock but held by a process that died (few rows: at most the workers' concurrency).
      const left = options.limit - due.length - expired.length;
      const abandoned =
        left > 0
          ? db
              .all<RunningRow>(
                `SELECT id, kind, payload, attempts, lease_token FROM jobs WHERE state = 'running' AND lease_until > ? ${kindFilter}`,
                now,
                ...filterParams,
              )
              .filter((row) => leaseAbandoned(row.lease_token))
              .slice(0, left)
          : [];
      const leaseUntil = now + Math.ceil(options.leaseMs);
      return [...due, ...expired, ...abandoned].map((row) => {
        const leaseToken = newLeaseToken();
        db.run(
          `UPDATE jobs SET state = 'running', lease_token = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?`,
          leaseToken,
          leaseUntil,
          row.id,
        );
        return { id: row.id, kind: row.kind, payload: JSON.parse(row.payload) as JsonObject, attempts: row.attempts, leaseToken };
      });
    } });
  }

  /** Releases the lease and schedules the next attempt; LeaseLost if the lease is no longer ours. */
  async retry(job: ClaimedJob, error: string, runAt: Date): Promise<void> {
    await this.ctx.writer.submit({
      run: () => {
        const result = this.ctx.db.run(
          `UPDATE jobs SET state = 'pending', lease_token = NULL, lease_until = NULL, last_error = ?, run_at = ?
           WHERE id = ? AND state = 'running' AND lease_token = ?`,
          error.slice(0, MAX_ERROR_TEXT),
          runAt.getTime(),
          job.id,
          job.leaseToken,
        );
        if (result.changes === 0) throw new LeaseLost(job.id);
      },
    });
  }

  async releaseThreadLeases(thread: number): Promise<number> {
    const prefix = threadLeasePrefix(thread);
    return this.ctx.writer.submit({
      run: () =>
        this.ctx.db.run(
          `UPDATE jobs SET state = 'pending', lease_token = NULL, lease_until = NULL
           WHERE state = 'running' AND substr(lease_token, 1, ?) = ?`,
          prefix.length,
          prefix,
        ).changes,
    });
  }

  async pendingCount(kinds?: string[]): Promise<number> {
    // Per state, so the partial indexes are used and done jobs (kept forever) are not scanned.
    const filter = kinds === undefined ? '' : 'AND kind IN (SELECT value FROM json_each(?))';
    const params = kinds === undefined ? [] : [JSON.stringify(kinds), JSON.stringify(kinds)];
    await durable(this.ctx);
    const row = this.ctx.db.get<{ n: number }>(
      `SELECT (SELECT count(*) FROM jobs WHERE state = 'pending' ${filter}) +
              (SELECT count(*) FROM jobs WHERE state = 'running' ${filter}) AS n`,
      ...params,
    );
    return row?.n ?? 0;
  }

  /** The earliest time a job becomes claimable: a pending job's run time or a lease's expiry. */
  async nextRunAt(): Promise<Date | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<{ t: number | null }>(
      `SELECT min(t) AS t FROM (
         SELECT min(run_at) AS t FROM jobs WHERE state = 'pending'
         UNION ALL SELECT min(lease_until) FROM jobs WHERE state = 'running')`,
    );
    return row?.t == null ? undefined : new Date(row.t);
  }
}
