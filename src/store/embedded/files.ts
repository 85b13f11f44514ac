/**
 * Durable file primitives. A file is durable when its bytes are fsynced *and* the directory
 * entry naming it is fsynced; a new directory also needs its parent fsynced.
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p that fsyncs the parent of every directory it creates. */
export async function ensureDirDurable(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return;
  // Everything from `first` down to `dir` is new: fsync each new entry's parent.
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.push(d);
    if (d === first || dirname(d) === d) break;
  }
  for (const d of created.reverse()) await fsyncDir(dirname(d));
}

/**
 * Writes every buffer at the file position, in as few system calls as the kernel allows (a
 * write may be partial: the rest follows).
 */
export async function writevAll(handle: fs.FileHandle, buffers: Buffer[]): Promise<void> {
  let rest = buffers;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i].length) bytesWritten -= rest[i++].length;
    // A short write leaves the rest of buffer i (and those after it) for the next call.
    rest = i < rest.length ? [rest[i].subarray(bytesWritten), ...rest.slice(i + 1)] : [];
  }
}

/** Creates `path` exclusively with `data`, fsynced (the caller fsyncs the directory). */
export async function writeNewFileSynced(path: string, data: Buffer): Promise<void> {
  const handle = await fs.open(path, 'wx', FILE_MODE);
  try {
    await writevAll(handle, [data]);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function removeIfExists(path: string): Promise<void> {
  await fs.rm(path, { force: true });
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
