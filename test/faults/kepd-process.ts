/**
 * kepd as an operator runs it: `node bin/kepd.js start --data DIR` in a child process, every
 * listener on port 0 (the ports come from the JSON "listening" lines). The fault tests kill it
 * with SIGKILL and start it again on the same data dir; every incarnation's log goes to a file
 * next to the data dir, so a failed run can be read afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { testEnv } from '../support/e2e';

const BIN = join(__dirname, '../../bin/kepd.js');
const SERVICES = ['submission', 'submissions', 'imap', 'imaps'] as const;

export type Service = (typeof SERVICES)[number];
export type Ports = Record<Service, number>;

export interface LogRecord {
  msg?: string;
  level?: number;
  [key: string]: unknown;
}

export interface KepdChild {
  readonly pid: number;
  readonly ports: Ports;
  readonly incarnation: number;
  /** Resolves with the exit code, or the signal name when killed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  alive(): boolean;
}

export interface KepdRunnerOptions {
  dataDir: string;
  /** Where the per-incarnation logs go. */
  logDir: string;
  env?: Record<string, string>;
  /** Called for every JSON log line of every incarnation (kill triggers, counters). */
  onLog?: (rec: LogRecord, incarnation: number) => void;
  startTimeoutMs?: number;
}

/** Starts incarnations of the daemon on one data dir, one at a time. */
export class KepdRunner {
  private count = 0;
  current: KepdChild | undefined;
  /** Error-level log lines (level >= 50) of every incarnation, for the final report. */
  readonly errors: string[] = [];
  /** What every incarnation wrote to stderr (Node warnings such as a file handle closed by GC). */
  readonly stderr: string[] = [];

  constructor(private readonly opts: KepdRunnerOptions) {}

  get incarnations(): number {
    return this.count;
  }

  async start(): Promise<KepdChild> {
    if (this.current?.alive()) throw new Error('a kepd incarnation is still running');
    const incarnation = ++this.count;
    const log = createWriteStream(join(this.opts.logDir, `kepd-${String(incarnation).padStart(3, '0')}.log`));
    const child = spawn(process.execPath, [BIN, 'start', '--data', this.opts.dataDir], {
      env: { ...process.env, ...testEnv(this.opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = await this.awaitListening(child, incarnation, log);
    this.current = started;
    return started;
  }

  /** SIGKILL, wherever the daemon is; resolves once the process is gone. */
  async kill(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.kill('SIGKILL');
    const exit = await c.exited;
    if (exit.signal !== 'SIGKILL') throw new Error(`kepd incarnation ${c.incarnation} exited with ${exit.code} before the kill`);
    this.current = undefined;
  }

  /** SIGTERM (drain) and the exit code. */
  async stop(): Promise<number | null> {
    const c = this.current;
    if (!c) return 0;
    c.kill('SIGTERM');
    const exit = await c.exited;
    this.current = undefined;
    return exit.code;
  }

  private awaitListening(child: ChildProcess, incarnation: number, log: WriteStream): Promise<KepdChild> {
    const ports: Partial<Ports> = {};
    let alive = true;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        alive = false;
        log.end();
        resolve({ code, signal });
      }),
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      this.stderr.push(...d.toString().split('\n').filter(Boolean));
      log.write(d);
    });
    let buf = '';
    const handle: KepdChild = {
      pid: child.pid!,
      ports: ports as Ports,
      incarnation,
      exited,
      kill: (signal) => {
        if (alive) child.kill(signal);
      },
      alive: () => alive,
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`kepd did not start within ${this.opts.startTimeoutMs ?? 30_000} ms`)), this.opts.startTimeoutMs ?? 30_000);
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\n${stderr}`));
      };
      child.stdout!.on('data', (d: Buffer) => {
        log.write(d);
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let rec: LogRecord;
          try {
            rec = JSON.parse(line) as LogRecord;
          } catch {
            continue;
          }
          if (typeof rec.level === 'number' && rec.level >= 50) this.errors.push(line);
          if (rec.msg === 'listening' && typeof rec.service === 'string' && typeof rec.port === 'number') {
            ports[rec.service as Service] = rec.port;
            if (!settled && SERVICES.every((s) => ports[s] !== undefined)) {
              settled = true;
              clearTimeout(timer);
              resolve(handle);
            }
          }
          this.opts.onLog?.(rec, incarnation);
        }
      });
      child.on('exit', (code, signal) => fail(new Error(`kepd exited (${code ?? signal}) before listening`)));
    });
  }
}
