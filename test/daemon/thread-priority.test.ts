/**
 * A running daemon's SMTP/IMAP thread (its main thread) sits `jobs.frontend_nice` nice steps
 * below the job threads, and only that thread moved (daemon/thread-priority.ts). Read per
 * thread from /proc of a real `kepd start` process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { startDaemonProcess } from '../support/daemon-process';

jest.setTimeout(60_000);

const linux = process.platform === 'linux';

/** Nice value of every thread of `pid`, by thread id (field 19 of /proc/PID/task/TID/stat). */
function threadNices(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, nice field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), Number(fields[16]));
  }
  return out;
}

(linux ? test : test.skip).each([
  ['the default (4 steps)', {}, 4],
  ['jobs.frontend_nice = 2', { KEPD_JOBS_FRONTEND_NICE: '2' }, 2],
  ['jobs.frontend_nice = 0', { KEPD_JOBS_FRONTEND_NICE: '0' }, 0],
])('%s: the main thread runs that far below the job thread and the others', async (_name, env, steps) => {
  const base = getPriority();
  const d = await startDaemonProcess([], env);
  try {
    await d.explain(async () => {
      const pid = d.child.pid!;
      const nices = threadNices(pid);
      expect(nices.get(pid)).toBe(Math.min(19, base + steps));
      const others = [...nices].filter(([tid]) => tid !== pid).map(([, nice]) => nice);
      // At least the job thread, the checkpoint thread and the pools of V8 and libuv.
      expect(others.length).toBeGreaterThanOrEqual(4);
      expect(new Set(others)).toEqual(new Set([base]));
      const logged = d.lines.some((l) => l.includes('SMTP/IMAP thread runs below the job threads'));
      expect(logged).toBe(steps > 0 && base < 19);
    });
  } finally {
    await d.stop();
    d.cleanup();
  }
});
