/**
 * Temp files under tmp/ carry the pid of the process writing them, because several processes
 * (the daemon, the CLI) share one data dir: a temp file is a crash leftover only when its
 * writer is gone, never while another live process is still streaming into it.
 * (The data dir is local to one host, as SQLite WAL requires, so pids are meaningful.)
 */
import { randomBytesPooled } from '../../common/random';
import { join } from 'node:path';

const NAME = /^(\d+)\.[0-9a-f]{16}\.([a-z]+)(?:\.([A-Za-z0-9._~+-]+))?\.tmp$/;
const LABEL = /^[A-Za-z0-9._~+-]+$/;

export type TempPurpose = 'blob' | 'evidence';

/** `<pid>.<random>.<purpose>[.<label>].tmp`; the label says what the file is staged for. */
export function tempFileName(purpose: TempPurpose, label?: string): string {
  if (label !== undefined && !LABEL.test(label)) throw new RangeError(`invalid temp file label ${JSON.stringify(label)}`);
  return `${process.pid}.${randomBytesPooled(8).toString('hex')}.${purpose}${label === undefined ? '' : `.${label}`}.tmp`;
}

export function tempFilePath(tmpDir: string, purpose: TempPurpose, label?: string): string {
  return join(tmpDir, tempFileName(purpose, label));
}

/** The writer's pid, or undefined when the name is not one of ours. */
export function tempFileOwner(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Purpose and label of one of our temp file names. */
export function tempFileParts(name: string): { purpose: string; label?: string } | undefined {
  const m = NAME.exec(name);
  return m ? { purpose: m[2]!, label: m[3] } : undefined;
}

export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temp file left by a process that no longer runs (or not named by the store at all). */
export function isStaleTempFile(name: string): boolean {
  const owner = tempFileOwner(name);
  return owner === undefined || !processAlive(owner);
}
