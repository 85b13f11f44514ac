/**
 * Under CPU saturation, finishing accepted work (dispatch, delivery evidence, receipts: the
 * job threads) goes before admitting more (SMTP and IMAP: the main thread). Both threads once
 * ran at the same priority: on 2 cores with 20 SMTP sessions the acceptances outran the
 * deliveries, the dispatch backlog grew for as long as the load lasted, and a core sat idle
 * while the job thread worked it off alone. With the main thread 4 nice steps below the job
 * threads, kepd delivered about a tenth more messages per second (benchmark, 10 KB × 20
 * sessions, 11 alternating pairs of runs: median 237 against 213 msg/s, higher in 7 pairs) at
 * about the same p99 acceptance latency (105 against 102 ms). Postfix's `in_flow_delay` serves
 * the same end by delaying new mail while its queue manager lags.
 *
 * Linux keeps a nice value per thread, and a thread starts with its creator's: the job threads,
 * the checkpoint thread and the pools of libuv and V8 are all started before the main thread
 * lowers itself, so only the main thread changes. A job thread restarted after a crash starts
 * from the main thread's value (raising it back needs privileges): it then runs at the main
 * thread's priority, as before this existed. On systems where the value is per process, the
 * whole process moves together and nothing changes relative to anything else.
 */
import { getPriority, setPriority } from 'node:os';
import type { Logger } from '../log';

/** Highest (weakest) nice value. */
const MAX_NICE = 19;

/**
 * Lowers the calling thread's scheduling priority by `steps` nice values from where it is
 * (never raises it), and says so in the log.
 */
export function lowerThisThreadPriority(steps: number, logger: Logger): void {
  if (steps <= 0) return;
  try {
    const current = getPriority();
    const target = Math.min(MAX_NICE, current + steps);
    if (target === current) return;
    setPriority(target);
    logger.info({ nice: target, jobThreadsNice: current }, 'SMTP/IMAP thread runs below the job threads');
  } catch (err) {
    // A sandbox may forbid it: the daemon works the same, only without the preference.
    logger.warn({ err: (err as Error).message }, 'could not lower the front end thread priority');
  }
}
