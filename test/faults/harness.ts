/**
 * The crash harness: kepd runs as a child process under steady SMTP load (and, optionally,
 * recipients reading over IMAP); it is killed with SIGKILL at random moments, each aimed at a
 * different stage (an SMTP transaction, the delivery jobs that follow an acceptance, an IMAP
 * body fetch, the first milliseconds after a start), restarted on the same data dir, and the
 * run ends with the ledger check (ledger.ts) once the last incarnation has settled.
 */
import { randomInt } from 'node:crypto';
import { openEmbeddedStore, type MailStore } from '../../src/store';
import { ImapReaders } from './imap-readers';
import { KepdRunner, type LogRecord } from './kepd-process';
import { checkLedger, type LedgerReport } from './ledger';
import { createFaultProvider, type FaultProvider } from './provider';
import { SmtpLoad } from './smtp-load';
import { ControlledTsa } from './tsa-proxy';

/** Where a kill is aimed. */
export type KillAim = 'random' | 'smtp' | 'accepted' | 'delivery' | 'retrieval' | 'startup';

export interface CrashRunOptions {
  tag: string;
  kills: number;
  sessions: number;
  users: number;
  readers: boolean;
  aims: KillAim[];
  /** How long an incarnation runs before its kill is armed. */
  uptimeMs: [number, number];
  /** How long the daemon stays down. */
  downMs: [number, number];
  settleTimeoutMs: number;
  unsignedRatio: number;
  /** Share of signed originals over the inline blob threshold. */
  largeRatio?: number;
  /** Time-stamp authority faults during the run: a fault window every `everyMs`, lasting `forMs`. */
  tsaFaults?: { everyMs: [number, number]; forMs: [number, number] };
  env?: Record<string, string>;
  /** Evidences also checked with xmllint, xmlsec1 and openssl ts (default 4, one of each kind at least). */
  stockToolSample?: number;
  progress?: (line: string) => void;
}

export interface KillRecord {
  n: number;
  aim: KillAim;
  /** The aim was reached (false: its wait timed out and the kill fell at a random point). */
  hit: boolean;
  uptimeMs: number;
  smtpInFlight: number;
  fetchesInFlight: number;
  jobsPending: number;
}

export interface CrashRunResult {
  provider: FaultProvider;
  kills: KillRecord[];
  report: LedgerReport;
  durationMs: number;
  incarnations: number;
  /** exit code of the final SIGTERM (0 = drained). */
  finalExit: number | null;
  /** error-level log lines of every incarnation. */
  daemonErrors: string[];
  /** Warnings of file handles left to the garbage collector (a leak) in any incarnation. */
  leakedHandles: string[];
  /** TSA fault windows injected, by kind. */
  tsaFaults: Record<string, number>;
}

const LOCALS = ['ali.veli', 'ayse.kaya', 'can.demir', 'deniz.yilmaz', 'elif.sahin', 'fatma.kaya', 'gul.aydin', 'hasan.celik'];
const AIM_WAIT_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const between = ([lo, hi]: [number, number]): number => lo + randomInt(Math.max(1, hi - lo + 1));

/** Waits until `cond()` holds (checked every 2 ms), at most `ms`; returns whether it held. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

/** Polls the job queue (read through a second store connection) until it is empty twice in a row. */
export async function settleJobs(store: MailStore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let empty = 0;
  while (empty < 2) {
    if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms: ${await store.jobs.pendingCount()}`);
    empty = (await store.jobs.pendingCount()) === 0 ? empty + 1 : 0;
    await sleep(200);
  }
}

/**
 * Flips the TSA into a fault now and then while `running()`: refusing, an RFC 3161 rejection,
 * hanging, slow, or gone; it always ends granting again, listening.
 */
async function injectTsaFaults(
  tsa: ControlledTsa,
  plan: NonNullable<CrashRunOptions['tsaFaults']>,
  counts: Record<string, number>,
  running: () => boolean,
): Promise<void> {
  const kinds = ['http-error', 'rejection', 'hang', 'delay', 'down'] as const;
  const pause = async (ms: number): Promise<void> => {
    for (const end = Date.now() + ms; running() && Date.now() < end; ) await sleep(50);
  };
  while (running()) {
    await pause(between(plan.everyMs));
    if (!running()) break;
    const kind = kinds[randomInt(kinds.length)]!;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (kind === 'down') await tsa.down();
    else if (kind === 'http-error') tsa.mode = { kind, status: 503 };
    else if (kind === 'delay') tsa.mode = { kind, ms: 800 };
    else tsa.mode = { kind };
    await pause(between(plan.forMs));
    tsa.mode = { kind: 'grant' };
    await tsa.up();
  }
  tsa.mode = { kind: 'grant' };
  await tsa.up();
}

export async function runCrashScenario(opts: CrashRunOptions): Promise<CrashRunResult> {
  const started = Date.now();
  const provider = await createFaultProvider(LOCALS.slice(0, opts.users));
  const tsa = opts.tsaFaults ? new ControlledTsa() : undefined;
  const tsaFaults: Record<string, number> = {};
  let env = opts.env;
  if (tsa) {
    tsa.useKeysOf(provider.dataDir);
    await tsa.up();
    env = { KEPD_TSA_URL: tsa.url, KEPD_TSA_TIMEOUT_MS: '1500', ...env };
  }
  // A kill aimed at "right after a commit" fires from the log handler itself, without a tick in between.
  let onAccepted: (() => void) | undefined;
  const runner = new KepdRunner({
    dataDir: provider.dataDir,
    logDir: provider.root,
    env,
    onLog: (rec: LogRecord) => {
      if (rec.msg === 'submission accepted' && onAccepted) {
        const fire = onAccepted;
        onAccepted = undefined;
        fire();
      }
    },
  });
  const load = new SmtpLoad(runner, provider.users, { sessions: opts.sessions, caPem: provider.caPem, unsignedRatio: opts.unsignedRatio, largeRatio: opts.largeRatio, tag: opts.tag });
  const readers = opts.readers ? new ImapReaders(runner, provider.users, { caPem: provider.caPem }) : undefined;
  const kills: KillRecord[] = [];
  let killing = true;

  /** Starts, kills and restarts the daemon under load; returns the exit code of the final SIGTERM. */
  const drive = async (): Promise<number | null> => {
    let inspector: MailStore | undefined;
    try {
      let child = await runner.start();
      inspector = await openEmbeddedStore({ dataDir: provider.dataDir });
      load.start();
      readers?.start();
      const faults = tsa && opts.tsaFaults ? injectTsaFaults(tsa, opts.tsaFaults, tsaFaults, () => killing) : undefined;
      for (let n = 1; n <= opts.kills; n++) {
        const aim = opts.aims[(n - 1) % opts.aims.length]!;
        const upAt = Date.now();
        if (aim !== 'startup') await sleep(between(opts.uptimeMs));
        let hit = true;
        if (aim === 'smtp') hit = await until(() => load.inFlight > 0, AIM_WAIT_MS);
        if (aim === 'retrieval') hit = await until(() => (readers?.inFlight ?? 0) > 0, AIM_WAIT_MS);
        if (aim === 'smtp') await sleep(randomInt(30));
        if (aim === 'accepted' || aim === 'delivery') {
          const target = child;
          hit = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => {
              onAccepted = undefined;
              resolve(false);
            }, AIM_WAIT_MS);
            onAccepted = () => {
              clearTimeout(timer);
              // 'accepted': the commit is done and the 250 may or may not be out; 'delivery': its jobs run.
              if (aim === 'accepted') target.kill('SIGKILL');
              resolve(true);
            };
          });
          if (aim === 'delivery') await sleep(randomInt(60));
        }
        if (aim === 'startup') await sleep(randomInt(40));
        const record: KillRecord = {
          n,
          aim,
          hit,
          uptimeMs: Date.now() - upAt,
          smtpInFlight: load.inFlight,
          fetchesInFlight: readers?.inFlight ?? 0,
          jobsPending: await inspector.jobs.pendingCount(),
        };
        await runner.kill();
        kills.push(record);
        opts.progress?.(`kill ${n}/${opts.kills} (${aim}${hit ? '' : ', aim not reached'}): sent ${load.entries.length}`);
        await sleep(between(opts.downMs));
        child = await runner.start();
      }
      killing = false;
      await faults;
      await load.stop();
      await readers?.stop();
      await settleJobs(inspector, opts.settleTimeoutMs);
      await inspector.close();
      inspector = undefined;
      return await runner.stop();
    } finally {
      killing = false;
      await load.stop();
      await readers?.stop();
      await inspector?.close();
      if (runner.current) await runner.kill();
      await tsa?.down();
    }
  };

  let finalExit: number | null;
  try {
    finalExit = await drive();
  } catch (err) {
    // Keep the data dir and logs of a failed run only when asked to (KEPD_FAULTS_KEEP=1).
    if (process.env.KEPD_FAULTS_KEEP === '1') process.stderr.write(`fault run kept in ${provider.root}\n`);
    else provider.cleanup();
    throw err;
  }
  const report = await checkLedger({
    dataDir: provider.dataDir,
    caPem: provider.caPem,
    users: provider.users.map((u) => u.address),
    submissions: load.entries,
    reads: readers?.reads.values(),
    stockToolSample: opts.stockToolSample,
  });
  return { provider, kills, report, durationMs: Date.now() - started, incarnations: runner.incarnations, finalExit, daemonErrors: runner.errors, leakedHandles: runner.stderr.filter((l) => /on garbage collection/.test(l)), tsaFaults };
}

/** One line per figure, for the test output and the issue note. */
export function summarize(result: CrashRunResult): string {
  const f = result.report.figures;
  const aims = new Map<string, { n: number; hit: number }>();
  for (const k of result.kills) {
    const a = aims.get(k.aim) ?? { n: 0, hit: 0 };
    a.n++;
    if (k.hit) a.hit++;
    aims.set(k.aim, a);
  }
  return [
    `duration ${(result.durationMs / 1000).toFixed(1)} s, incarnations ${result.incarnations}, kills ${result.kills.length} ` +
      `(${[...aims].map(([aim, a]) => `${aim} ${a.hit}/${a.n}`).join(', ')})`,
    `kills with SMTP in flight ${result.kills.filter((k) => k.smtpInFlight > 0).length}, with jobs pending ${result.kills.filter((k) => k.jobsPending > 0).length}, ` +
      `with fetches in flight ${result.kills.filter((k) => k.fetchesInFlight > 0).length}`,
    `messages sent ${f.sent}: 250 ${f.accepted}, 4xx ${f.refused4xx}, 5xx ${f.refused5xx}, unknown ${f.unknown} ` +
      `(completed once ${f.unknownCompleted}, left nothing ${f.unknownLeftNothing}); stored ${f.submissionsStored}`,
    `evidence ${f.evidence} (${Object.entries(f.evidenceByKind).map(([k, v]) => `${k} ${v}`).join(', ')}), receipts ${f.receipts}, dispatches ${f.dispatches} (${f.compositeDispatches} as parts around a large original)`,
    `reads: delivered ${f.readsDelivered}, interrupted with evidence ${f.readsInterruptedWithEvidence}, interrupted without ${f.readsInterruptedWithoutEvidence}, unread dispatches ${f.unreadDispatches}`,
    `orphan blobs swept ${f.orphanBlobsSwept}, unindexed archive files ${f.unindexedArchiveFiles}, stock-tool checks ${f.stockToolChecks}, daemon error lines ${result.daemonErrors.length}, handles leaked ${result.leakedHandles.length}`,
    `TSA faults injected ${Object.values(result.tsaFaults).reduce((a, b) => a + b, 0)} (${Object.entries(result.tsaFaults).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
    `lost: ${f.lost}, duplicated: ${f.duplicated}, invalid evidence: ${f.invalidEvidence}`,
  ].join('\n');
}
