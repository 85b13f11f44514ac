/**
 * How far V8 lets a thread's heap grow past what survived its last full collection.
 *
 * A busy daemon thread keeps little alive (12-15 MB: caches, prepared statements, sessions)
 * and allocates fast (a few hundred KB per message). V8 sets the next limit at about three
 * times the live size and starts marking as soon as the room left under the limit is smaller
 * than its young generation, which with these numbers is at once: under full SMTP load the job
 * thread ran a mark-compact every 150-200 ms, and its helper threads were marking almost all
 * the time. A fixed factor of five leaves room above the young generation: 18 mark-compacts in
 * a 10 KB × 20 benchmark row became 2, for ~40 MB more heap per thread at most.
 *
 * V8 flags are per process and this one is read whenever a collection sets the next limit, so
 * setting it at start, before the job threads exist, covers every thread of the daemon.
 */
import { setFlagsFromString } from 'node:v8';

/** Next limit = live size × (1 + percent / 100). */
const HEAP_GROWING_PERCENT = 400;

export function widenHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
