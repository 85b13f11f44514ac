/**
 * The benchmark's side of lib/cpu-profile.ts: start a server with the profiler hook, start
 * and stop profiling around a measured row, and name the profiles after the row.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './util';

/** Runs `start` with the hook in NODE_OPTIONS (a child started meanwhile inherits it). */
export async function withProfilerHook<T>(dir: string | undefined, start: () => Promise<T>): Promise<T> {
  if (!dir) return start();
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${saved ?? ''} --require ${join(__dirname, 'cpu-profile.js')}`.trim();
  process.env.BENCH_CPU_PROFILE_DIR = dir;
  try {
    return await start();
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
    delete process.env.BENCH_CPU_PROFILE_DIR;
  }
}

const counts = new Map<number, number>();

export function startProfile(pid: number): void {
  process.kill(pid, 'SIGUSR2');
}

/** Stops the daemon's profiler; its profiles (main thread, then `-t<id>` per worker thread) become `<name>[-t<id>].cpuprofile`. */
export async function saveProfile(pid: number, dir: string, name: string): Promise<void> {
  const n = (counts.get(pid) ?? 0) + 1;
  counts.set(pid, n);
  process.kill(pid, 'SIGUSR2');
  const main = join(dir, `${pid}-${n}.cpuprofile`);
  await waitFor(`CPU profile ${main}`, 30_000, () => existsSync(main));
  renameSync(main, join(dir, `${name}.cpuprofile`));
  const prefix = `${pid}-${n}-t`;
  for (const f of readdirSync(dir).filter((x) => x.startsWith(prefix) && x.endsWith('.cpuprofile'))) {
    renameSync(join(dir, f), join(dir, `${name}-t${f.slice(prefix.length)}`));
  }
}
