/**
 * A job lease names the thread that holds it: `<pid>.<instance>.<thread>.<random>`. After a
 * crash (SIGKILL, OOM kill, a container stopped hard) the dead process's leases would otherwise
 * hold their jobs back until they expire — minutes of delivery and evidence delay after every
 * restart. The data dir is local to one host (SQLite WAL requires it, as for temp files), so a
 * lease whose process is gone is abandoned. The instance id tells this process apart from an
 * earlier one with the same pid (containers restart with the same pids).
 *
 * The instance is the process's, not a thread's: every job thread adopts the main thread's
 * (`adoptLeaseInstance`), so that threads of one process never take each other's leases. (Each
 * thread once drew its own: with `jobs.threads = 2` every claim took the sibling's running jobs
 * as abandoned, both failed with LeaseLost, and delivery fell tenfold.) A job thread that dies
 * leaves leases that no claim takes early; the main thread, which sees it exit, releases them
 * (`JobQueue.releaseThreadLeases`), named by the thread part.
 */
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { processAlive } from './temp-files';

let instance = randomBytes(6).toString('hex');
const INSTANCE_FORM = /^[0-9a-f]{12}$/;
/** The thread part is optional: tokens written before it existed have none. */
const TOKEN = /^(\d+)\.([0-9a-f]{12})\.(?:\d+\.)?[0-9a-f]{24}$/;

/** This process's lease instance, for its worker threads to adopt. */
export function leaseInstance(): string {
  return instance;
}

/** In a worker thread, before its store claims anything: the process's instance (leaseInstance()). */
export function adoptLeaseInstance(id: string | undefined): void {
  if (id === undefined) return;
  if (!INSTANCE_FORM.test(id)) throw new TypeError(`not a lease instance: ${id}`);
  instance = id;
}

/** What every lease token of thread `thread` of this process starts with. */
export function threadLeasePrefix(thread: number): string {
  return `${process.pid}.${instance}.${thread}.`;
}

/** An unguessable lease token that names this process and thread. */
export function newLeaseToken(): string {
  return `${threadLeasePrefix(threadId)}${randomBytes(12).toString('hex')}`;
}

/**
 * True when the process named by `token` is certainly gone (tokens of another form: never).
 * A lease of this very process is never abandoned here, whichever thread holds it.
 */
export function leaseAbandoned(token: string): boolean {
  const m = TOKEN.exec(token);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return m[2] !== instance;
  return !processAlive(pid);
}
