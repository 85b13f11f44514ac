/**
 * Runs the store's blob sweep now and then: message files nothing references any more (expunged
 * messages, commits that failed or were cut short by a crash) are removed once they are older
 * than the store's grace period. The first sweep runs soon after start, so a daemon that is
 * restarted often still sweeps; a failed sweep is logged and tried again at the next interval.
 */
import type { Logger } from '../log';
import type { MailStore } from '../store/types';

/** Delay of the first sweep after start (capped by the interval). */
const FIRST_SWEEP_MS = 60_000;

export class BlobSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: MailStore,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.schedule(Math.min(FIRST_SWEEP_MS, this.intervalMs));
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().finally(() => {
        this.running = undefined;
        this.schedule(this.intervalMs);
      });
    }, ms);
    // A pending sweep never keeps the process alive.
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      // The store logs what it removed.
      await this.store.sweepBlobs();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'blob sweep failed; trying again later');
    }
  }
}
