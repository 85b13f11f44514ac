/** What the numbers were measured on. */
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
