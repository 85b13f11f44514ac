import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/log';
import { PermanentJobError } from '../../src/engine/jobs/errors';
import { JobWorker, retryDelayMs } from '../../src/engine/worker';
import { openEmbeddedStore } from '../../src/store';
import type { ClaimedJob, MailStore } from '../../src/store/types';

let dir: string;
let store: MailStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kepd-worker-'));
  store = await openEmbeddedStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('backoff doubles from 1 s, is capped at 5 min, and parks permanent failures for a day', () => {
  expect(retryDelayMs(0, false)).toBe(1000);
  expect(retryDelayMs(3, false)).toBe(8000);
  expect(retryDelayMs(30, false)).toBe(300_000);
  expect(retryDelayMs(0, true)).toBe(86_400_000);
});

test('a failing job is retried and completes once; a job with no chance is parked, not spun', async () => {
  const seen: string[] = [];
  let flaky = 0;
  const handlers = {
    flaky: async (job: ClaimedJob) => {
      seen.push(`flaky#${job.attempts}`);
      if (flaky++ === 0) throw new Error('transient');
      await store.commit([{ op: 'completeJob', job }]);
    },
    doomed: async (job: ClaimedJob) => {
      seen.push(`doomed#${job.attempts}`);
      throw new PermanentJobError('never');
    },
  };
  const worker = new JobWorker(store, handlers, silentLogger, { pollMs: 50 });
  worker.start();
  await store.commit([
    { op: 'enqueueJob', job: { kind: 'flaky', payload: {}, uniqueKey: 'f' } },
    { op: 'enqueueJob', job: { kind: 'doomed', payload: {}, uniqueKey: 'd' } },
    { op: 'enqueueJob', job: { kind: 'flaky', payload: {}, uniqueKey: 'f' } },
  ]);
  await until(async () => (await store.jobs.pendingCount(['flaky'])) === 0);
  await worker.stop();
  expect(seen.filter((s) => s.startsWith('flaky'))).toHaveLength(2);
  expect(seen.filter((s) => s.startsWith('doomed'))).toHaveLength(1);
  expect(await store.jobs.pendingCount(['doomed'])).toBe(1);
  const next = await store.jobs.nextRunAt();
  expect(next!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
});

test('stop waits for running jobs (drain)', async () => {
  let finished = false;
  const worker = new JobWorker(
    store,
    {
      slow: async (job) => {
        await new Promise((r) => setTimeout(r, 300));
        await store.commit([{ op: 'completeJob', job }]);
        finished = true;
      },
    },
    silentLogger,
    { pollMs: 20 },
  );
  worker.start();
  await store.commit([{ op: 'enqueueJob', job: { kind: 'slow', payload: {} } }]);
  // Let the worker claim it, then stop while the handler is still running.
  await new Promise((r) => setTimeout(r, 100));
  expect(finished).toBe(false);
  await worker.stop();
  expect(finished).toBe(true);
  expect(await store.jobs.pendingCount()).toBe(0);
});

test('a store that refuses claims (a full disk) is retried after growing pauses, not in a tight loop', async () => {
  jest.useFakeTimers();
  try {
    let claims = 0;
    const { EventEmitter } = await import('node:events');
    const refusing = {
      events: new EventEmitter(),
      jobs: {
        claim: async () => {
          claims++;
          throw new Error('database or disk is full');
        },
        // A job is overdue: without the pause the next claim would follow at once.
        nextRunAt: async () => new Date(0),
      },
    } as unknown as MailStore;
    const worker = new JobWorker(refusing, { any: async () => undefined }, silentLogger, { pollMs: 100 });
    worker.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(claims).toBe(1);
    await jest.advanceTimersByTimeAsync(99);
    expect(claims).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(claims).toBe(2);
    await jest.advanceTimersByTimeAsync(199);
    expect(claims).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(claims).toBe(3);
    const stopped = worker.stop();
    await jest.advanceTimersByTimeAsync(0);
    await stopped;
  } finally {
    jest.useRealTimers();
  }
});
