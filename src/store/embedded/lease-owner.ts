/**
 * A job lease names the process that holds it (`<pid>.<instance>.<random>`). After a crash
 * (SIGKILL, OOM kill, a container stopped hard) the dead process's leases would otherwise hold
 * their jobs back until they expire — minutes of delivery and evidence delay after every
 * restart. The data dir is local to one host (SQLite WAL requires it, as for temp files), so a
 * lease whose process is gone is abandoned. The instance id tells this process apart from an
 * earlier one with the same pid (containers restart with the same pids).
 */
import { randomBytes } from 'node:crypto';
import { processAlive } from './temp-files';

const INSTANCE = randomBytes(6).toString('hex');
const TOKEN = /^(\d+)\.([0-9a-f]{12})\.[0-9a-f]{24}$/;

/** An unguessable lease token that names this process. */
export function newLeaseToken(): string {
  return `${process.pid}.${INSTANCE}.${randomBytes(12).toString('hex')}`;
}

/** True when the process named by `token` is certainly gone (tokens of another form: never). */
export function leaseAbandoned(token: string): boolean {
  const m = TOKEN.exec(token);
  if (!m) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return m[2] !== INSTANCE;
  return !processAlive(pid);
}
