/**
 * The IMAP workload over TLS against a prepared mailbox of same-size messages (UIDs 1..M):
 * - `single`: the sessions share the first `count` UIDs round-robin and fetch them one by one
 *   (`UID FETCH n BODY[]`); latency per command;
 * - `bulk`: the first `count` UIDs are split into one contiguous range per session, each fetched
 *   with one command (`UID FETCH a:b BODY[]`; one session over the whole mailbox sends
 *   `FETCH 1:* BODY[]`); latency per command.
 * Passes over these messages repeat until the row has run for `minSeconds` (a fast server's run
 * is then long enough to measure). Sessions log in and SELECT before the clock starts. Every
 * body is counted: bodies and bytes received must equal what was asked for.
 */
import { ImapSession, type ImapTarget } from './imap-client';
import { ResourceMeter } from './proc';
import type { Sample } from './report';
import { openAll, percentile } from './util';

export type FetchMode = 'single' | 'bulk';

export interface ImapSubject {
  name: string;
  target: ImapTarget;
  pids(): number[];
}

export interface ImapRowResult extends Sample {
  server: string;
  mode: FetchMode;
  sessions: number;
  errors: string[];
}

export async function runImapRow(
  subject: ImapSubject,
  mode: FetchMode,
  sessions: number,
  count: number,
  mailboxSize: number,
  messageBytes: number,
  minSeconds: number,
): Promise<ImapRowResult> {
  const errors: string[] = [];
  const open = await openAll(sessions, () => ImapSession.open(subject.target));
  for (const s of open) {
    const r = await s.command('SELECT INBOX', true).catch((e: Error) => {
      for (const x of open) x.destroy();
      throw e;
    });
    if (r.status !== 'OK') {
      for (const x of open) x.destroy();
      throw new Error(`${subject.name}: SELECT INBOX: ${r.status} ${r.text}`);
    }
    const exists = r.untagged.map((l) => /^\* (\d+) EXISTS/i.exec(l)).find((m) => m);
    if (!exists || Number(exists[1]) < mailboxSize) {
      errors.push(`${subject.name}: INBOX has ${exists ? exists[1] : '?'} messages, expected ${mailboxSize}`);
    }
  }
  const latencies: number[] = [];
  let bytes = 0;
  let literals = 0;
  let expected = 0;
  const meter = new ResourceMeter(() => subject.pids());
  meter.start();
  const t0 = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - t0) / 1e9;
  const fetch = async (s: ImapSession, cmd: string, n: number): Promise<void> => {
    expected += n;
    const t = process.hrtime.bigint();
    const r = await s.command(cmd);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 'OK') throw new Error(`${cmd}: ${r.status} ${r.text}`);
    bytes += r.literalBytes;
    literals += r.literals;
  };
  await Promise.all(
    open.map(async (s, i) => {
      try {
        if (mode === 'single') {
          do {
            for (let uid = i + 1; uid <= count; uid += sessions) await fetch(s, `UID FETCH ${uid} BODY[]`, 1);
          } while (elapsed() < minSeconds);
        } else {
          const per = Math.ceil(count / sessions);
          const lo = i * per + 1;
          const hi = Math.min(count, (i + 1) * per);
          if (lo > hi) return;
          const cmd = sessions === 1 && count === mailboxSize ? 'FETCH 1:* BODY[]' : `UID FETCH ${lo}:${hi} BODY[]`;
          do {
            await fetch(s, cmd, hi - lo + 1);
          } while (elapsed() < minSeconds);
        }
      } catch (e) {
        errors.push(`${subject.name}: session ${i}: ${(e as Error).message}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const res = meter.stop();
  await Promise.all(open.map((s) => s.logout()));
  if (literals !== expected) errors.push(`${subject.name}: received ${literals} message bodies, expected ${expected}`);
  if (bytes !== expected * messageBytes) errors.push(`${subject.name}: received ${bytes} body bytes, expected ${expected * messageBytes}`);
  return {
    server: subject.name,
    mode,
    messages: literals,
    bytes,
    sessions,
    seconds,
    msgPerSec: literals / seconds,
    mbPerSec: bytes / 1e6 / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuSeconds: res.cpuSeconds,
    peakRssBytes: res.peakRssBytes,
    startRssBytes: res.startRssBytes,
    errors,
  };
}

/** Fills a mailbox over IMAP APPEND (kepd): `count` copies made by `make(n)`. */
export async function appendMessages(target: ImapTarget, count: number, make: (n: number) => Buffer, sessions = 4): Promise<void> {
  const open = await openAll(sessions, () => ImapSession.open(target));
  let next = 0;
  // All copies have the same size, so the order in which UIDs are given out does not matter.
  await Promise.all(
    open.map(async (s) => {
      for (;;) {
        const n = next++;
        if (n >= count) return;
        const r = await s.append('INBOX', make(n), '\\Seen');
        if (r.status !== 'OK') throw new Error(`APPEND: ${r.status} ${r.text}`);
      }
    }),
  );
  await Promise.all(open.map((s) => s.logout()));
}
