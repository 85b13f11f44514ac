/** Medians of the repeated runs, the kepd/baseline table, the target checks; Markdown and JSON. */
import type { MachineInfo } from './machine';
import { median } from './util';

export interface Sample {
  messages: number;
  bytes: number;
  seconds: number;
  msgPerSec: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSeconds: number;
  peakRssBytes: number;
  startRssBytes: number;
}

export interface Row {
  workload: string;
  size: string;
  sessions: number;
  baseline: string;
  kepd: Sample[];
  base: Sample[];
}

export interface EvidenceResult {
  source: string;
  count: number;
  rounds: number;
  evidencePerSec: number[];
  floorPairsPerSec: number[];
  evidenceBytes: number;
  keyTypes: { provider: string; tsa: string };
}

export interface Target {
  what: string;
  kepd: string;
  required: string;
  met: boolean | undefined;
}

export interface Report {
  machine: MachineInfo;
  options: Record<string, unknown>;
  rows: Row[];
  evidence?: EvidenceResult;
  targets: Target[];
  errors: string[];
  notes: string[];
  elapsedSeconds: number;
  /** 1-minute load average before and after the run (it still holds an earlier run's load). */
  loadAverage: { start: number; end: number };
  /** Cores' worth of CPU busy in the seconds before the run started (other work skews results). */
  busyBefore: { cores: number; seconds: number };
}

type Metric = keyof Sample;
export function med(samples: Sample[], m: Metric): number {
  return median(samples.map((s) => s[m]));
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

function ratio(k: number, b: number): string {
  if (!Number.isFinite(k) || !Number.isFinite(b) || b === 0) return '–';
  return `${fmt(k / b)}×`;
}

const MB = 1e6;

function cells(s: Sample[]): number[] {
  const msgs = med(s, 'messages');
  return [
    msgs,
    med(s, 'msgPerSec'),
    med(s, 'mbPerSec'),
    med(s, 'p50Ms'),
    med(s, 'p99Ms'),
    med(s, 'cpuSeconds'),
    (med(s, 'cpuSeconds') * 1000) / msgs,
    med(s, 'peakRssBytes') / MB,
  ];
}

export function findRow(rows: Row[], workload: string, size: string, sessions: number): Row | undefined {
  return rows.find((r) => r.workload === workload && r.size === size && r.sessions === sessions);
}

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# kepd benchmark results', '');
  out.push(`Run ${m.date}, ${fmt(r.elapsedSeconds)} s, kepd ${m.kepdCommit}. Options: \`${JSON.stringify(r.options)}\`.`, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| CPU | ${m.cpuModel}, ${m.cores} cores |`);
  out.push(`| RAM | ${m.ramGiB} GiB |`);
  out.push(`| kernel | ${m.kernel} |`);
  out.push(`| node | ${m.node} |`);
  out.push(`| Postfix | ${m.postfix} |`);
  out.push(`| Dovecot | ${m.dovecot} |`);
  out.push(`| file system | ${m.filesystem} |`);
  out.push(`| CPU busy in the ${r.busyBefore.seconds} s before the run | ${r.busyBefore.cores.toFixed(2)} of ${m.cores} cores |`);
  out.push(`| load average (1 min) before / after the run | ${r.loadAverage.start.toFixed(2)} / ${r.loadAverage.end.toFixed(2)} |`, '');

  if (r.errors.length) {
    out.push('## FAILED', '', ...r.errors.map((e) => `- ${e.replace(/\n/g, ' ')}`), '');
  }
  // Only the CPU measured before the run says something about other work: the run itself keeps
  // both cores busy, and the load average decays over minutes (an earlier run still shows).
  const busy = r.busyBefore.cores;
  if (busy > m.cores / 4) {
    out.push(
      `**The machine was busy with other work** (${busy.toFixed(2)} of ${m.cores} cores busy in the ${r.busyBefore.seconds} s before the run): ` +
        'every number is lower and noisier than on an idle machine; the kepd/baseline ratios of this run are the figures to use.',
      '',
    );
  }

  out.push('## Targets (10 KB, 20 sessions unless stated; medians)', '');
  out.push('| target | kepd | required | met |', '|---|---|---|---|');
  for (const t of r.targets) out.push(`| ${t.what} | ${t.kepd} | ${t.required} | ${t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
  out.push('');

  out.push('## Throughput, latency and resources (medians of the runs)', '');
  out.push(
    'msgs/run: messages per run (a fast server gets more, so that every run lasts long enough to measure). ' +
      'msg/s and MB/s: SMTP = delivered (in the mailbox; kepd: with acceptance and delivery evidence), IMAP = bodies fetched. ' +
      'Latency: SMTP = DATA command sent → final 250; IMAP = one FETCH command. CPU s: the server\'s whole process tree until idle again; ' +
      'peak RSS: sum over its processes. Ratio = kepd / baseline (throughput: higher is better; latency, CPU ms/msg, RSS: lower is better).',
    '',
  );
  out.push('| workload | size | sessions | server | msgs/run | msg/s | MB/s | p50 ms | p99 ms | CPU s | CPU ms/msg | peak RSS MB | runs |');
  out.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of r.rows) {
    const k = row.kepd.length ? cells(row.kepd) : [];
    const b = row.base.length ? cells(row.base) : [];
    const line = (server: string, c: number[], n: number): string =>
      `| ${row.workload} | ${row.size} | ${row.sessions} | ${server} | ${c.length ? c.map((v, i) => (i === 0 ? String(Math.round(v)) : fmt(v))).join(' | ') : '– | – | – | – | – | – | – | –'} | ${n} |`;
    out.push(line('kepd', k, row.kepd.length));
    out.push(line(row.baseline, b, row.base.length));
    if (k.length && b.length) {
      // msgs/run and CPU s are totals of runs of different lengths: compare CPU ms/msg instead.
      const r = k.map((v, i) => (i === 0 || i === 5 ? '' : `**${ratio(v, b[i])}**`));
      out.push(`| | | | **kepd/${row.baseline}** | ${r.join(' | ')} | |`);
    }
  }
  out.push('');

  if (r.evidence) {
    const e = r.evidence;
    const ev = median(e.evidencePerSec);
    const fl = median(e.floorPairsPerSec);
    out.push('## Evidence issuance (one process, sequential = one core)', '');
    out.push('| measure | per second (median) | runs |', '|---|---:|---:|');
    out.push(`| evidences (XAdES-T, built-in TSA; ${e.evidenceBytes} bytes each; via ${e.source}) | ${fmt(ev)} | ${e.evidencePerSec.length} × ${e.count} |`);
    out.push(`| floor: 2 raw node:crypto signatures (${e.keyTypes.provider} + ${e.keyTypes.tsa}) | ${fmt(fl)} | ${e.floorPairsPerSec.length} |`);
    out.push(`| evidence / floor | ${ratio(ev, fl)} | |`, '');
  }

  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/** The targets, judged on the medians (informative only: a slow run is not a failed run). */
export function judgeTargets(rows: Row[], evidence: EvidenceResult | undefined, bigRssIncreaseMb: number | undefined): Target[] {
  const t: Target[] = [];
  const row = (w: string, size: string, sess: number): Row | undefined => {
    const r = findRow(rows, w, size, sess);
    return r && r.kepd.length && r.base.length ? r : undefined;
  };
  const cmp = (what: string, r: Row | undefined, metric: Metric, factor: number, higherIsBetter: boolean): void => {
    if (!r) {
      t.push({ what, kepd: 'not measured', required: '', met: undefined });
      return;
    }
    const k = med(r.kepd, metric);
    const b = med(r.base, metric);
    const unit = metric === 'mbPerSec' ? ' MB/s' : metric.endsWith('Ms') ? ' ms' : '/s';
    t.push({
      what,
      kepd: `${fmt(k)}${unit} (${ratio(k, b)} of ${r.baseline}'s ${fmt(b)}${unit})`,
      required: `${higherIsBetter ? '≥' : '≤'} ${factor} × ${r.baseline}`,
      met: higherIsBetter ? k >= factor * b : k <= factor * b,
    });
  };
  cmp('SMTP delivered msg/s', row('SMTP', '10 KB', 20), 'msgPerSec', 0.5, true);
  cmp('SMTP p99 acceptance latency', row('SMTP', '10 KB', 20), 'p99Ms', 2, false);
  cmp('IMAP FETCH one by one, msg/s', row('IMAP FETCH single', '10 KB', 20), 'msgPerSec', 0.5, true);
  cmp('IMAP FETCH bulk, msg/s', row('IMAP FETCH bulk', '10 KB', 20), 'msgPerSec', 0.5, true);
  if (evidence) {
    const ev = median(evidence.evidencePerSec);
    t.push({ what: 'evidence issuance per core', kepd: `${fmt(ev)}/s`, required: '≥ 300/s', met: ev >= 300 });
  } else t.push({ what: 'evidence issuance per core', kepd: 'not measured', required: '≥ 300/s', met: undefined });
  t.push({
    what: '100 MB submission: kepd peak RSS increase',
    kepd: bigRssIncreaseMb === undefined ? 'not measured' : `${fmt(bigRssIncreaseMb)} MB`,
    required: '< 64 MB',
    met: bigRssIncreaseMb === undefined ? undefined : bigRssIncreaseMb < 64,
  });
  for (const r of rows.filter((x) => x.size === '1 MB')) {
    cmp(`1 MB ${r.workload}, ${r.sessions} session${r.sessions > 1 ? 's' : ''}: MB/s`, row(r.workload, r.size, r.sessions), 'mbPerSec', 0.5, true);
  }
  return t;
}
