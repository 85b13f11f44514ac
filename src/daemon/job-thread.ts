/**
 * Entry point of a job thread: its own runtime (its own store connection, signer, TSA) running
 * the durable jobs — dispatches, evidence, receipts — on a second core, while the main thread
 * serves SMTP and IMAP. Jobs are claimed with leases, so several threads (or nodes) share them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startMemoryValve } from '../common/memory-valve';
import { createJobHandlers } from '../engine/jobs';
import { createRuntime } from '../engine/runtime';
import { JobWorker } from '../engine/worker';
import { createLogger } from '../log';
import { adoptLeaseInstance, adoptWriteGates } from '../store';
import type { MailboxChangeEvent } from '../store/types';
import type { JobThreadData, ToJobThread } from './job-thread-messages';

/** Long enough for a few dispatches per transaction, short against an SMTP reply's latency. */
const JOB_WRITES_YIELD_AFTER_MS = 2;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('job-thread.js runs only as a worker thread');
  const data = workerData as JobThreadData;
  const config = data.config;
  adoptWriteGates(data.writeGates);
  adoptLeaseInstance(data.leaseInstance);
  const logger = createLogger({ level: config.log.level }).child({ thread: 'jobs' });
  // The main thread's store checkpoints the WAL in the background (checkpointer.ts). A batch
  // of dispatches gives way to the main thread, which serves every SMTP session, when that
  // waits to write (group-commit.ts).
  const rt = await createRuntime(config, logger, { storeThread: { checkpoints: 'elsewhere', yieldWritesAfterMs: JOB_WRITES_YIELD_AFTER_MS } });
  const worker = new JobWorker(rt.store, createJobHandlers(rt), logger, { now: rt.now, concurrency: config.jobs.concurrency });
  rt.store.events.on('mailbox-change', (e: MailboxChangeEvent) => port.postMessage({ type: 'mailbox-change', event: e }));
  port.on('message', (m: ToJobThread) => {
    if (m.type === 'wake') rt.store.events.emit('jobs');
    if (m.type === 'stop') {
      void worker
        .stop()
        .then(() => rt.store.close())
        // Closing the port lets the thread exit, which is what the main thread waits for.
        .finally(() => port.close());
    }
  });
  worker.start();
  // Each thread has its own heap: dispatches of large messages stream through this one.
  startMemoryValve();
}

main().catch((err: unknown) => {
  // The main thread sees the thread exit and restarts it; say why first.
  process.stderr.write(`kepd job thread failed: ${(err as Error).message ?? String(err)}\n`);
  process.exit(1);
});
