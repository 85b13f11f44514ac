/**
 * Where durable jobs run: on the main thread (`jobs.threads = 0`, used by in-process tests) or
 * in worker threads (default), so the crypto of dispatches, evidence and receipts uses the
 * second core. Either way the store is the hand-off: nothing is lost if a thread dies.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KepdConfig } from '../config';
import { createJobHandlers } from '../engine/jobs';
import type { Runtime } from '../engine/runtime';
import { JobWorker } from '../engine/worker';
import { exportWriteGates, leaseInstance } from '../store';
import type { FromJobThread, JobThreadData, ToJobThread } from './job-thread-messages';

export interface JobRunner {
  stop(): Promise<void>;
}

export function startJobRunners(rt: Runtime, config: KepdConfig): JobRunner {
  if (config.jobs.threads === 0) {
    const worker = new JobWorker(rt.store, createJobHandlers(rt), rt.logger, { now: rt.now, concurrency: config.jobs.concurrency });
    worker.start();
    return { stop: () => worker.stop() };
  }
  const threads = Array.from({ length: config.jobs.threads }, (_, i) => new JobThread(rt, config, i));
  return { stop: async () => void (await Promise.all(threads.map((t) => t.stop()))) };
}

/** One job thread, restarted (with a pause) if it dies; jobs it held come back when leases lapse. */
class JobThread {
  private worker: Worker | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onJobs = (): void => this.post({ type: 'wake' });

  constructor(
    private readonly rt: Runtime,
    private readonly config: KepdConfig,
    private readonly index: number,
  ) {
    rt.store.events.on('jobs', this.onJobs);
    this.spawn();
  }

  private post(m: ToJobThread): void {
    this.worker?.postMessage(m);
  }

  private spawn(): void {
    const workerData: JobThreadData = { config: this.config, writeGates: exportWriteGates(), leaseInstance: leaseInstance() };
    const worker = new Worker(join(__dirname, 'job-thread.js'), { workerData });
    this.worker = worker;
    const thread = worker.threadId;
    worker.on('message', (m: FromJobThread) => {
      // Commits made in the thread must reach the IMAP sessions of the main thread (IDLE).
      if (m.type === 'mailbox-change') this.rt.store.events.emit('mailbox-change', m.event);
    });
    worker.on('error', (err) => this.rt.logger.error({ thread: this.index, err: err.message }, 'job thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (this.stopping) return;
      this.rt.logger.error({ thread: this.index, code }, 'job thread exited; restarting in 1 s');
      // Its leases name a thread of this live process: no claim takes them before they expire.
      this.rt.store.jobs.releaseThreadLeases(thread).then(
        (released) => {
          if (released > 0) this.rt.logger.warn({ thread: this.index, released }, 'jobs of the exited job thread released');
        },
        (err: unknown) => {
          this.rt.logger.error({ thread: this.index, err: (err as Error).message }, 'could not release the exited job thread\'s jobs; they return when their leases expire');
        },
      );
      this.restartTimer = setTimeout(() => this.spawn(), 1000);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.rt.store.events.off('jobs', this.onJobs);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage({ type: 'stop' } satisfies ToJobThread);
    });
  }
}
