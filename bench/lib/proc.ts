/**
 * CPU seconds and peak RSS of a server's whole process tree, from /proc.
 *
 * CPU: the sum over the live processes of the tree of their own CPU time, every thread of
 * each (/proc/PID/task/TID/schedstat, nanoseconds: many processes using a few ms each would
 * vanish in clock ticks; /proc/PID/schedstat alone is the main thread only, which left kepd's
 * job and checkpoint threads out), or utime+stime (clock ticks, all threads) as a fallback; plus the
 * cutime+cstime of their reaped children (clock ticks). A child that exited and was reaped is in
 * its parent's cutime/cstime, so Postfix's and Dovecot's short-lived children are counted once.
 * A measurement is the difference of two snapshots.
 *
 * Peak RSS: at the start of a measurement every process's VmHWM is reset to its current RSS
 * (`echo 5 > /proc/PID/clear_refs`, root only; without it the peak is since process start);
 * the tree is sampled periodically and each process's highest VmHWM is kept; the result is the
 * sum over every process seen (an upper bound for multi-process servers: shared pages count
 * once per process).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface StatLine {
  pid: number;
  ppid: number;
  /** utime+stime and cutime+cstime, clock ticks. */
  ownTicks: number;
  childTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid = field 4, utime..cstime = fields 14..17
  return { pid, ppid: Number(f[1]), ownTicks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
}

/** CPU seconds of the live threads of a process (schedstat, ns); undefined without schedstat. */
function threadsCpu(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return ns / 1e9;
  } catch {
    return undefined;
  }
}

/** CPU seconds of one process, all its threads (ns precision when schedstat exists), plus reaped children's. */
function cpuOf(st: StatLine): number {
  const hz = ticksPerSecond();
  const own = threadsCpu(st.pid) ?? st.ownTicks / hz;
  return own + st.childTicks / hz;
}

function allStats(): StatLine[] {
  const out: StatLine[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(name));
    if (st) out.push(st);
  }
  return out;
}

/** The roots and all their descendants. */
export function processTree(roots: number[]): StatLine[] {
  const stats = allStats();
  const children = new Map<number, StatLine[]>();
  const byPid = new Map<number, StatLine>();
  for (const st of stats) {
    byPid.set(st.pid, st);
    const list = children.get(st.ppid) ?? [];
    list.push(st);
    children.set(st.ppid, list);
  }
  const out: StatLine[] = [];
  const seen = new Set<number>();
  const stack = roots.filter((r) => byPid.has(r));
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const st = byPid.get(pid);
    if (st) out.push(st);
    for (const ch of children.get(pid) ?? []) stack.push(ch.pid);
  }
  return out;
}

export function cpuSeconds(roots: number[]): number {
  return processTree(roots).reduce((a, s) => a + cpuOf(s), 0);
}

function statusKb(pid: number, key: string): number {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS of the tree now, bytes. */
export function rssBytes(roots: number[]): number {
  return processTree(roots).reduce((a, s) => a + statusKb(s.pid, 'VmRSS') * 1024, 0);
}

/** Measures CPU seconds and peak RSS of process trees between start() and stop(). */
export class ResourceMeter {
  private cpu0 = 0;
  private rss0 = 0;
  private readonly hwm = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly roots: () => number[], private readonly everyMs = 200) {}

  start(): void {
    const tree = processTree(this.roots());
    for (const st of tree) {
      try {
        writeFileSync(`/proc/${st.pid}/clear_refs`, '5');
      } catch {
        // not permitted: the peak is then since the process started
      }
    }
    this.hwm.clear();
    this.rss0 = tree.reduce((a, s) => a + statusKb(s.pid, 'VmRSS') * 1024, 0);
    this.cpu0 = tree.reduce((a, s) => a + cpuOf(s), 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
  }

  private sample(): void {
    let roots: number[];
    try {
      roots = this.roots();
    } catch {
      return; // the server is gone (stopping): nothing to sample
    }
    for (const st of processTree(roots)) {
      const kb = statusKb(st.pid, 'VmHWM');
      if (kb > (this.hwm.get(st.pid) ?? 0)) this.hwm.set(st.pid, kb);
    }
  }

  /** CPU seconds used, peak RSS (bytes) and RSS at start (bytes). */
  stop(): { cpuSeconds: number; peakRssBytes: number; startRssBytes: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    let cpu1 = this.cpu0;
    try {
      cpu1 = cpuSeconds(this.roots());
    } catch {
      // the server is gone: no CPU figure
    }
    let peak = 0;
    for (const kb of this.hwm.values()) peak += kb * 1024;
    return { cpuSeconds: Math.max(0, cpu1 - this.cpu0), peakRssBytes: peak, startRssBytes: this.rss0 };
  }
}
