/**
 * Gives the job threads' heaps room to work in before V8 runs a full collection.
 *
 * V8 counts buffer memory allocated since the last full (mark-compact) collection against the
 * old generation's limit, and after each such collection sets that limit only a little above
 * what is live. A job thread's live heap is small (~12 MB) but it allocates buffers for every
 * REM message it builds, signs and stores (well over 100 KB per 10 KB message), so under load
 * it ran a full collection about every 300 ms: 52 in one 10 KB bench run, each a few ms of pause
 * on the thread plus concurrent marking on V8's helper threads, for a heap that hardly grew.
 * With the initial old generation below, the same run had 10 (75 ms of pause against 439).
 *
 * The setting is V8's and process-wide; it applies to isolates created after it is set (the job
 * and checkpoint threads), never to the main thread's, which is already running. It is a limit,
 * not a reservation: pages are taken only as the heap grows.
 */
import { setFlagsFromString } from 'node:v8';

export const JOB_THREAD_INITIAL_OLD_SPACE_MB = 64;

let applied = false;

/** Call before starting worker threads; once is enough. */
export function sizeWorkerHeaps(initialOldSpaceMb = JOB_THREAD_INITIAL_OLD_SPACE_MB): void {
  if (applied) return;
  applied = true;
  setFlagsFromString(`--initial-old-space-size=${initialOldSpaceMb}`);
}
