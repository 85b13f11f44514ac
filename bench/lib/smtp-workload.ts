/**
 * The SMTP workload: `sessions` persistent sessions, opened before the clock starts, each
 * sending messages one after another, together at least `minMessages` and for at least
 * `minSeconds` (so a fast server's run is long enough to measure), never more than
 * `maxMessages`. The clock stops when the last message is *delivered* (present in the
 * recipient's mailbox; for kepd with its acceptance and delivery evidence archived). CPU and
 * peak RSS are measured until the server is idle again, so background work caused by the row
 * (kepd's receipts, Postfix's queue) is charged to it.
 */
import { writeFileSync } from 'node:fs';
import { instance, type MessageTemplate } from './messages';
import { ResourceMeter } from './proc';
import type { Sample } from './report';
import { SmtpSession, type SmtpTarget } from './smtp-client';
import { openAll, percentile, sleep } from './util';

export interface SmtpSubject {
  name: string;
  target: SmtpTarget;
  pids(): number[];
  /** Opaque watermark taken before the row. */
  watermark(rcpt: string): number;
  /** Messages delivered to `rcpt` since the watermark. */
  delivered(mark: number, rcpt: string): number;
  /** When the last of them was delivered (epoch ms, from the server's own records). */
  lastDeliveredAt(mark: number, rcpt: string): number | undefined;
  /** Resolves when nothing is left to do (queues empty). */
  quiesce(timeoutMs: number): Promise<void>;
  /** Problems with the messages accepted in this row (ids from the 250 replies). */
  verify(ids: string[], mark: number, rcpt: string, expected: number): string[];
}

export interface SmtpRowResult extends Sample {
  server: string;
  sessions: number;
  acceptSeconds: number;
  errors: string[];
}

let serial = 0;

export async function runSmtpRow(
  subject: SmtpSubject,
  template: MessageTemplate,
  sessions: number,
  count: { minMessages: number; minSeconds: number; maxMessages: number },
  /** traceFile: where to write every acceptance as [ms since the start when its reply came, latency ms, session]. */
  opts: { deliverTimeoutMs: number; traceFile?: string },
): Promise<SmtpRowResult> {
  const errors: string[] = [];
  await subject.quiesce(120_000);
  const mark = subject.watermark(template.to);
  const open = await openAll(sessions, () => SmtpSession.open(subject.target));
  const latencies: number[] = [];
  const trace: Array<[number, number, number]> = [];
  const ids: string[] = [];
  const meter = new ResourceMeter(() => subject.pids());
  meter.start();
  const t0 = process.hrtime.bigint();
  const t0Epoch = performance.timeOrigin + performance.now();
  let accepted = 0;
  let claimed = 0;
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  const another = (): boolean => {
    if (claimed >= count.maxMessages) return false;
    if (claimed >= count.minMessages && elapsed() >= count.minSeconds) return false;
    claimed++;
    return true;
  };
  await Promise.all(
    open.map(async (s, i) => {
      while (another()) {
        const wire = instance(template, ++serial, true);
        try {
          const r = await s.send(template.from, [template.to], wire);
          if (r.reply.code !== 250) {
            errors.push(`${subject.name}: message rejected: ${r.reply.code} ${r.reply.text}`);
            continue;
          }
          accepted++;
          latencies.push(r.latencyMs);
          if (opts.traceFile) trace.push([Number(process.hrtime.bigint() - t0) / 1e6, r.latencyMs, i]);
          const m = /queued as <?([A-Za-z0-9._@-]+?)>?\s*$/m.exec(r.reply.text);
          if (m) ids.push(m[1].replace(/@.*$/, ''));
        } catch (e) {
          errors.push(`${subject.name}: session ${i}: ${(e as Error).message}`);
          return;
        }
      }
    }),
  );
  const tAccepted = process.hrtime.bigint();
  // The epoch of the start lets the trace be laid beside a server's own log.
  if (opts.traceFile) writeFileSync(opts.traceFile, JSON.stringify({ server: subject.name, sessions, startEpochMs: t0Epoch, acceptances: trace }));
  // Delivered: poll the mailbox until every accepted message is there; the time of the last
  // delivery then comes from the server's own record of it (not from the polling interval).
  const deadline = Date.now() + opts.deliverTimeoutMs;
  let delivered = 0;
  let tDelivered = tAccepted;
  for (;;) {
    delivered = subject.delivered(mark, template.to);
    tDelivered = process.hrtime.bigint();
    if (delivered >= accepted) break;
    if (Date.now() > deadline) {
      errors.push(`${subject.name}: only ${delivered} of ${accepted} accepted messages delivered within ${opts.deliverTimeoutMs / 1000} s`);
      break;
    }
    await sleep(accepted > 50 ? 50 : 20);
  }
  await Promise.all(open.map((s) => s.quit()));
  for (const s of open) s.destroy();
  try {
    await subject.quiesce(Math.max(60_000, opts.deliverTimeoutMs));
  } catch (e) {
    errors.push(`${subject.name}: ${(e as Error).message}`);
  }
  const res = meter.stop();
  if (accepted < claimed) errors.push(`${subject.name}: ${claimed - accepted} of ${claimed} messages not accepted`);
  errors.push(...subject.verify(ids, mark, template.to, accepted));
  let seconds = Number(tDelivered - t0) / 1e9;
  const last = delivered > 0 ? subject.lastDeliveredAt(mark, template.to) : undefined;
  if (last !== undefined && last >= t0Epoch) seconds = Math.min(seconds, (last - t0Epoch) / 1000);
  const bytes = accepted * template.bytes.length;
  return {
    server: subject.name,
    messages: accepted,
    bytes,
    sessions,
    seconds,
    acceptSeconds: Number(tAccepted - t0) / 1e9,
    msgPerSec: delivered / seconds,
    mbPerSec: (delivered * template.bytes.length) / 1e6 / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuSeconds: res.cpuSeconds,
    peakRssBytes: res.peakRssBytes,
    startRssBytes: res.startRssBytes,
    errors,
  };
}
