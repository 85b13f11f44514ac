/**
 * Runs durable jobs from the store: claims with a lease, runs the handler, retries with
 * backoff. A crash mid-job loses nothing: the lease expires and another claim redoes it, and
 * handlers finish with one commit that includes `completeJob`.
 */
import type { Logger } from '../log';
import type { ClaimedJob, MailStore } from '../store/types';
import { PermanentJobError } from './jobs/errors';

export type JobHandler = (job: ClaimedJob) => Promise<void>;

export interface WorkerOptions {
  concurrency?: number;
  leaseMs?: number;
  /** Longest sleep between polls when nothing signals new work. */
  pollMs?: number;
  now?: () => Date;
}

/** Longest pause between claims while the store refuses them. */
const MAX_CLAIM_BACKOFF_MS = 30_000;

/** Backoff: 1 s, 2 s, 4 s … capped at 5 minutes; permanent failures park for a day. */
export function retryDelayMs(attempts: number, permanent: boolean): number {
  if (permanent) return 24 * 3600 * 1000;
  return Math.min(1000 * 2 ** Math.min(attempts, 16), 5 * 60 * 1000);
}

export class JobWorker {
  private running = 0;
  private stopped = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly onJobs = (): void => this.wake?.();
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: MailStore,
    private readonly handlers: Record<string, JobHandler>,
    private readonly logger: Logger,
    options: WorkerOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.store.events.on('jobs', this.onJobs);
    this.loop = this.run();
  }

  /** Stops claiming and waits for running jobs to finish (graceful drain). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.store.events.off('jobs', this.onJobs);
    this.wake?.();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    let failedClaims = 0;
    while (!this.stopped) {
      let claimed: ClaimedJob[] = [];
      const free = this.concurrency - this.running;
      if (free > 0) {
        try {
          claimed = await this.store.jobs.claim({ limit: free, leaseMs: this.leaseMs, kinds: Object.keys(this.handlers) });
          failedClaims = 0;
        } catch (err) {
          // The store cannot take the claim (a full disk, a locked database): due jobs would make
          // the next claim immediate, so back off instead of spinning and flooding the log.
          failedClaims++;
          const pauseMs = Math.min(this.pollMs * 2 ** Math.min(failedClaims - 1, 16), MAX_CLAIM_BACKOFF_MS);
          this.logger.error({ err: (err as Error).message, failedClaims, retryInMs: pauseMs }, 'claiming jobs failed');
          await this.sleep(pauseMs);
          continue;
        }
      }
      for (const job of claimed) this.track(this.execute(job));
      if (claimed.length === 0 || this.running >= this.concurrency) await this.sleep();
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.wake?.();
    });
  }

  private async execute(job: ClaimedJob): Promise<void> {
    this.running++;
    const handler = this.handlers[job.kind];
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      await handler(job);
    } catch (err) {
      const permanent = err instanceof PermanentJobError;
      const delay = retryDelayMs(job.attempts, permanent);
      const log = permanent ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ job: job.id, kind: job.kind, attempts: job.attempts + 1, retryInMs: delay, err: (err as Error).message }, 'job failed; will retry');
      try {
        await this.store.jobs.retry(job, (err as Error).message ?? String(err), new Date(this.now().getTime() + delay));
      } catch (retryErr) {
        // The lease may be gone (another node took the job); its expiry brings the job back anyway.
        this.logger.warn({ job: job.id, err: (retryErr as Error).message }, 'could not reschedule job');
      }
    } finally {
      this.running--;
    }
  }

  /** Sleeps until the next job is due (at most the poll interval), or exactly `fixedMs`; new work and stop() wake it. */
  private async sleep(fixedMs?: number): Promise<void> {
    if (this.stopped) return;
    let ms = fixedMs ?? this.pollMs;
    if (fixedMs === undefined) {
      try {
        const next = await this.store.jobs.nextRunAt();
        if (next) ms = Math.max(0, Math.min(ms, next.getTime() - this.now().getTime()));
      } catch {
        // fall back to the poll interval
      }
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }
}
