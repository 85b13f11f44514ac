import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { threadId } from 'node:worker_threads';
import { LeaseLost, type ClaimedJob } from '../../src/store';
import { threadLeasePrefix } from '../../src/store/embedded/lease-owner';
import { openTempStore, type TempStore } from '../support/store-fixtures';

describe('durable jobs', () => {
  let t: TempStore;
  let clock: number;
  beforeEach(async () => {
    clock = Date.parse('2025-05-01T10:00:00Z');
    t = await openTempStore({ now: () => new Date(clock) });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const enqueue = (kind: string, extra: { uniqueKey?: string; runAt?: Date } = {}) =>
    t.store.commit([{ op: 'enqueueJob', job: { kind, payload: { kind }, ...extra } }]);

  it('claims due jobs only, each once, with a lease', async () => {
    await enqueue('a');
    await enqueue('b', { runAt: new Date(clock + 60_000) });
    await enqueue('c');
    expect(await t.store.jobs.pendingCount()).toBe(3);
    expect(await t.store.jobs.nextRunAt()).toEqual(new Date(clock));

    const first = await t.store.jobs.claim({ limit: 10, leaseMs: 30_000 });
    expect(first.map((j) => j.kind).sort()).toEqual(['a', 'c']);
    expect(first.every((j) => j.attempts === 0 && new RegExp(`^${process.pid}\\.[0-9a-f]{12}\\.${threadId}\\.[0-9a-f]{24}$`).test(j.leaseToken))).toBe(true);
    expect(await t.store.jobs.claim({ limit: 10, leaseMs: 30_000 })).toEqual([]);
    // Running jobs still count as not done; next due time is the lease expiry.
    expect(await t.store.jobs.pendingCount()).toBe(3);
    expect(await t.store.jobs.nextRunAt()).toEqual(new Date(clock + 30_000));

    clock += 60_000;
    const [b, ...rest] = await t.store.jobs.claim({ limit: 1, leaseMs: 120_000, kinds: ['b'] });
    expect(rest).toEqual([]);
    expect(b.kind).toBe('b');
    expect(await t.store.jobs.pendingCount(['a'])).toBe(1);
  });

  it('an expired lease makes the job claimable again; the old holder can neither complete nor retry', async () => {
    await enqueue('x');
    const [old] = await t.store.jobs.claim({ limit: 1, leaseMs: 10_000 });
    clock += 10_001;
    const [fresh] = await t.store.jobs.claim({ limit: 1, leaseMs: 10_000 });
    expect(fresh.id).toBe(old.id);
    expect(fresh.attempts).toBe(1);
    expect(fresh.leaseToken).not.toBe(old.leaseToken);

    await expect(t.store.commit([{ op: 'completeJob', job: old }])).rejects.toBeInstanceOf(LeaseLost);
    await expect(t.store.jobs.retry(old, 'late', new Date(clock))).rejects.toBeInstanceOf(LeaseLost);
    await t.store.commit([{ op: 'completeJob', job: fresh }]);
    expect(await t.store.jobs.pendingCount()).toBe(0);
    expect(await t.store.jobs.nextRunAt()).toBeUndefined();
    // Completed: not claimable even when its lease time passes, and not completable twice.
    clock += 1_000_000;
    expect(await t.store.jobs.claim({ limit: 5, leaseMs: 1000 })).toEqual([]);
    await expect(t.store.commit([{ op: 'completeJob', job: fresh }])).rejects.toBeInstanceOf(LeaseLost);
  });

  it('retry releases the lease, records the error and counts attempts', async () => {
    await enqueue('r');
    let job: ClaimedJob = (await t.store.jobs.claim({ limit: 1, leaseMs: 5000 }))[0];
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(job.attempts).toBe(attempt);
      await t.store.jobs.retry(job, `failure ${attempt}`, new Date(clock + 1000));
      expect(await t.store.jobs.claim({ limit: 1, leaseMs: 5000 })).toEqual([]);
      expect(await t.store.jobs.nextRunAt()).toEqual(new Date(clock + 1000));
      clock += 1000;
      job = (await t.store.jobs.claim({ limit: 1, leaseMs: 5000 }))[0];
    }
    expect(job.attempts).toBe(3);
    await t.store.commit([{ op: 'completeJob', job }]);
    expect(await t.store.jobs.pendingCount()).toBe(0);
  });

  it('a unique key is unique forever: a completed job keeps it', async () => {
    const [r1] = await enqueue('u', { uniqueKey: 'relay:K1' });
    const [r2] = await enqueue('u', { uniqueKey: 'relay:K1' });
    expect(r1).toMatchObject({ created: true });
    expect(r2).toEqual({ ...r1, created: false });
    const [job] = await t.store.jobs.claim({ limit: 1, leaseMs: 1000 });
    await t.store.commit([{ op: 'completeJob', job }]);
    const [r3] = await enqueue('u', { uniqueKey: 'relay:K1' });
    expect(r3).toEqual({ ...r1, created: false });
    expect(await t.store.jobs.pendingCount()).toBe(0);
    let jobsEvents = 0;
    t.store.events.on('jobs', () => (jobsEvents += 1));
    await enqueue('u', { uniqueKey: 'relay:K1' });
    expect(jobsEvents).toBe(0);
    await enqueue('u', { uniqueKey: 'relay:K2' });
    expect(jobsEvents).toBe(1);
  });

  it('a lease held by a process that is gone is claimable at once; a live holder keeps it until it expires', async () => {
    for (const kind of ['dead', 'earlier-self', 'live']) await enqueue(kind);
    await t.store.jobs.claim({ limit: 3, leaseMs: 120_000 });
    // Rewrite the holders as a crashed process, an earlier process that had our pid, and a live one.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
      try {
        const set = raw.prepare('UPDATE jobs SET lease_token = ? WHERE kind = ?');
        set.run(`${dead}.0123456789ab.${'0'.repeat(24)}`, 'dead');
        set.run(`${process.pid}.0123456789ab.${'0'.repeat(24)}`, 'earlier-self');
        set.run(`${live.pid}.0123456789ab.${'0'.repeat(24)}`, 'live');
      } finally {
        raw.close();
      }
      const again = await t.store.jobs.claim({ limit: 5, leaseMs: 120_000 });
      expect(again.map((j) => j.kind).sort()).toEqual(['dead', 'earlier-self']);
      expect(again.every((j) => j.attempts === 1)).toBe(true);
      // Our own current leases are never taken over.
      expect(await t.store.jobs.claim({ limit: 5, leaseMs: 120_000 })).toEqual([]);
      clock += 120_001;
      expect((await t.store.jobs.claim({ limit: 5, leaseMs: 1000 })).map((j) => j.kind).sort()).toEqual(['dead', 'earlier-self', 'live']);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('leases of other threads of this process are never taken; releasing an exited thread frees exactly its jobs', async () => {
    for (const kind of ['sibling', 'exited', 'mine']) await enqueue(kind);
    await t.store.jobs.claim({ limit: 3, leaseMs: 120_000 });
    const raw = new Database(join(t.dir, 'db', 'kepd.sqlite'));
    try {
      const set = raw.prepare('UPDATE jobs SET lease_token = ? WHERE kind = ?');
      set.run(`${threadLeasePrefix(threadId + 7)}${'0'.repeat(24)}`, 'sibling');
      set.run(`${threadLeasePrefix(threadId + 9)}${'0'.repeat(24)}`, 'exited');
    } finally {
      raw.close();
    }
    expect(await t.store.jobs.claim({ limit: 5, leaseMs: 120_000 })).toEqual([]);
    expect(await t.store.jobs.releaseThreadLeases(threadId + 9)).toBe(1);
    const again = await t.store.jobs.claim({ limit: 5, leaseMs: 120_000 });
    expect(again.map((j) => [j.kind, j.attempts])).toEqual([['exited', 1]]);
    expect(again[0].leaseToken.startsWith(threadLeasePrefix(threadId))).toBe(true);
    // Released once: its new lease is this thread's, not the exited one's.
    expect(await t.store.jobs.releaseThreadLeases(threadId + 9)).toBe(0);
    expect(await t.store.jobs.claim({ limit: 5, leaseMs: 120_000 })).toEqual([]);
  });

  it('two instances never claim the same job', async () => {
    const other = await t.reopen({ now: () => new Date(clock) });
    for (let i = 0; i < 40; i++) await enqueue('c');
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? t.store : other).jobs.claim({ limit: 5, leaseMs: 60_000 })),
    );
    const ids = claims.flat().map((j) => j.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});
