/** What the numbers were measured on. */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { DovecotInstance } from './dovecot';
import { PostfixInstance } from './postfix';
import { run } from './util';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  postfix: string;
  dovecot: string;
  kepdCommit: string;
  filesystem: string;
  date: string;
}

export async function machineInfo(repo: string, workDir: string): Promise<MachineInfo> {
  const git = await run('git', ['-C', repo, 'describe', '--always', '--abbrev=10'], { timeoutMs: 10_000 }).catch(() => undefined);
  // Dirty means changed code: the results of an earlier run (bench/results) do not count.
  const status = await run('git', ['-C', repo, 'status', '--porcelain', '--', '.', ':(exclude)bench/results'], { timeoutMs: 10_000 }).catch(() => undefined);
  const dirty = status?.code === 0 && status.stdout.trim() !== '' ? '-dirty' : '';
  const df = await run('df', ['-T', workDir], { timeoutMs: 10_000 }).catch(() => undefined);
  const fsLine = df?.stdout.trim().split('\n')[1]?.split(/\s+/);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    postfix: PostfixInstance.available() ? await PostfixInstance.version() : 'not installed',
    dovecot: DovecotInstance.available() ? await DovecotInstance.version() : 'not installed',
    kepdCommit: git?.code === 0 ? git.stdout.trim() + dirty : 'unknown',
    filesystem: fsLine ? `${fsLine[1]} (${fsLine[6]})` : 'unknown',
    date: new Date().toISOString(),
  };
}

/** Busy and total jiffies of all CPUs together (/proc/stat's first line; iowait counts as idle). */
function cpuJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * How many cores' worth of CPU other work used over `ms`, measured before anything of the run
 * starts. The load average cannot tell: it decays over minutes, so right after a previous run
 * it still shows that run's load on an otherwise idle machine.
 */
export async function cpuBusyCores(ms: number, cores: number): Promise<number> {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cores : 0;
}
