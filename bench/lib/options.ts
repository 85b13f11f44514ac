/**
 * Command-line options and the plan of a run: which sizes and sessions, how many messages,
 * how long each run lasts. `--quick` is a smoke test; the default run stays under 10 minutes on
 * 2 cores.
 */
import { resolve } from 'node:path';
import type { FetchMode } from './imap-workload';
import { BenchError } from './util';

export interface Options {
  quick: boolean;
  reps: number;
  skip: Set<string>;
  keep: boolean;
  workdir?: string;
  /** The kepd checkout to benchmark (built: dist/, bin/); default: this repository. */
  kepdRepo?: string;
  /** Profile kepd (main and job threads) during each of its SMTP rows into this directory. */
  cpuProf?: string;
  /** Only these message sizes (tags: 1k, 10k, 100k, 1m); default all of the plan's. */
  sizes?: Set<string>;
  /** Write every acceptance's completion time and latency of each SMTP row into this directory. */
  latencyTrace?: string;
}

export interface SizeSpec {
  /** As shown in the table. */
  label: string;
  /** Size of the signed message on the wire. */
  bytes: number;
  /** Short name for files and logs. */
  tag: string;
  /** Number in the bench users' names (alici.smtp.N, okuyan.imap.N). */
  n: number;
}

export const SIZES: SizeSpec[] = [
  { label: '1 KB', bytes: 1024, tag: '1k', n: 1 },
  { label: '10 KB', bytes: 10 * 1024, tag: '10k', n: 2 },
  { label: '100 KB', bytes: 100 * 1024, tag: '100k', n: 3 },
  { label: '1 MB', bytes: 1024 * 1024, tag: '1m', n: 4 },
];
export const BIG: SizeSpec = { label: '100 MB', bytes: 100_000_000, tag: '100m', n: 5 };

export interface Plan {
  sizes: SizeSpec[];
  sessions: number[];
  /** SMTP messages per run (all sessions together) at least; more while the run is shorter than smtpSeconds. */
  smtpMessages(size: SizeSpec, sessions: number): number;
  smtpSeconds: number;
  /** IMAP passes over the fetched messages repeat until a run lasts this long. */
  imapSeconds: number;
  /** Messages in each IMAP mailbox. */
  mailbox: number;
  /** Messages fetched per IMAP row. */
  imapFetch(size: SizeSpec, mode: FetchMode, sessions: number): number;
  big: boolean;
  evidenceCount: number;
  evidenceRounds: number;
}

export function plan(opts: Options): Plan {
  const chosen = (fallback: SizeSpec[]): SizeSpec[] => (opts.sizes ? SIZES.filter((s) => opts.sizes?.has(s.tag)) : fallback);
  if (opts.quick) {
    return {
      sizes: chosen([SIZES[1]]),
      sessions: [1, 20],
      smtpMessages: (_s, c) => (c === 1 ? 20 : 60),
      smtpSeconds: 1,
      imapSeconds: 0.5,
      mailbox: 200,
      imapFetch: () => 200,
      big: false,
      evidenceCount: 300,
      evidenceRounds: 1,
    };
  }
  return {
    sizes: chosen(SIZES),
    sessions: [1, 20],
    smtpMessages: (s, c) => {
      if (s.bytes >= 1024 * 1024) return c === 1 ? 10 : 30;
      if (s.bytes >= 100 * 1024) return c === 1 ? 20 : 60;
      return c === 1 ? 30 : 100;
    },
    smtpSeconds: 3,
    imapSeconds: 0.75,
    mailbox: 1000,
    imapFetch: (s, mode) => {
      if (s.bytes >= 1024 * 1024) return mode === 'single' ? 100 : 200;
      return mode === 'single' ? 500 : 1000;
    },
    big: true,
    evidenceCount: 1000,
    evidenceRounds: 3,
  };
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, reps: 3, skip: new Set(), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new BenchError(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--reps') o.reps = Number(value());
    else if (a === '--skip') for (const s of value().split(',')) o.skip.add(s.trim());
    else if (a === '--keep') o.keep = true;
    else if (a === '--workdir') o.workdir = value();
    else if (a === '--kepd-repo') o.kepdRepo = resolve(value());
    else if (a === '--cpu-prof') o.cpuProf = resolve(value());
    else if (a === '--sizes') o.sizes = new Set(value().split(',').map((t) => t.trim()));
    else if (a === '--latency-trace') o.latencyTrace = resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- [--quick] [--reps N] [--skip smtp,big,imap,evidence] [--keep] [--workdir DIR] [--kepd-repo DIR] [--cpu-prof DIR] [--latency-trace DIR] [--sizes 1k,10k,100k,1m]\n' +
          '  --quick     10 KB only, few messages, 1 run, 200-message mailboxes (a smoke test)\n' +
          '  --reps N    runs per row (default 3; the table shows medians; --quick defaults to 1)\n' +
          '  --skip ...  leave out workloads\n' +
          '  --keep      keep the temporary directory (servers\' data and logs)\n' +
          '  --workdir   where to make the temporary directory (default: the OS temp dir)\n' +
          '  --kepd-repo a built kepd checkout to measure instead of this one (results still go to this bench/results)\n' +
          '  --cpu-prof  CPU profiles of kepd (main thread and job threads) during each of its SMTP rows, into DIR\n' +
          '  --sizes     only these message sizes (for focused comparisons; the targets need 10k and 1m)\n' +
          '  --latency-trace  for each SMTP row, a JSON file in DIR of every acceptance: [ms since the row began\n' +
          '              when its 250 came, its latency in ms, the session] (where a p99 comes from: stalls show\n' +
          '              as many sessions completing at the same moment)\n',
      );
      process.exit(0);
    } else throw new BenchError(`unknown option ${a} (see --help)`);
  }
  if (o.quick && !argv.includes('--reps')) o.reps = 1;
  if (!Number.isInteger(o.reps) || o.reps < 1 || o.reps > 20) throw new BenchError('--reps must be an integer from 1 to 20');
  for (const t of o.sizes ?? []) if (!SIZES.some((s) => s.tag === t)) throw new BenchError(`--sizes: unknown size "${t}" (1k, 10k, 100k, 1m)`);
  for (const s of o.skip) if (!['smtp', 'big', 'imap', 'evidence'].includes(s)) throw new BenchError(`--skip: unknown workload "${s}"`);
  return o;
}
