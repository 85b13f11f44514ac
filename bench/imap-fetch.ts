/**
 * IMAP FETCH micro-benchmark: kepd alone (no baseline), the real daemon (`kepd start`) with one
 * mailbox of same-size messages per size, over TLS, driven by the load generator of `npm run
 * bench` (lib/imap-client.ts, lib/imap-workload.ts). Rows: single (`UID FETCH n BODY[]`) and
 * bulk (`FETCH 1:* BODY[]` / one contiguous range per session) at 1 and 20 sessions, plus the
 * time SELECT takes. For profiling the FETCH path without Dovecot and Postfix around it.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && node bench/.build/imap-fetch.js \
 *     [--sizes 1024,10240] [--mailbox 1000] [--seconds 2] [--rows single1,single20,bulk1,bulk20] \
 *     [--cpu-prof DIR] [--kepd-repo DIR]
 *
 * `--cpu-prof DIR` profiles the daemon during each row (lib/cpu-profile.ts) into
 * `DIR/<bytes>-<mode><sessions>.cpuprofile`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { installSignalHandlers, onCleanup, runCleanups } from './lib/cleanup';
import { ImapSession, type ImapTarget } from './lib/imap-client';
import { appendMessages, runImapRow, type FetchMode, type ImapSubject } from './lib/imap-workload';
import { KepdInstance } from './lib/kepd';
import { freePort, log } from './lib/util';
import { saveProfile, startProfile, withProfilerHook } from './lib/profile-control';

const DOMAIN = 'bench.kep';
const PASSWORD = 'bench-imap-password-1';

interface Options {
  sizes: number[];
  mailbox: number;
  seconds: number;
  rows: Array<{ mode: FetchMode; sessions: number }>;
  cpuProf?: string;
  repo: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    sizes: [1024, 10 * 1024],
    mailbox: 1000,
    seconds: 2,
    rows: [
      { mode: 'single', sessions: 1 },
      { mode: 'single', sessions: 20 },
      { mode: 'bulk', sessions: 1 },
      { mode: 'bulk', sessions: 20 },
    ],
    repo: resolve(__dirname, '..', '..'),
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--sizes':
        o.sizes = v.split(',').map(Number);
        i++;
        break;
      case '--mailbox':
        o.mailbox = Number(v);
        i++;
        break;
      case '--seconds':
        o.seconds = Number(v);
        i++;
        break;
      case '--rows':
        o.rows = v.split(',').map((r) => {
          const m = /^(single|bulk)(\d+)$/.exec(r);
          if (!m) throw new Error(`--rows: ${r}`);
          return { mode: m[1] as FetchMode, sessions: Number(m[2]) };
        });
        i++;
        break;
      case '--cpu-prof':
        o.cpuProf = resolve(v);
        i++;
        break;
      case '--kepd-repo':
        o.repo = resolve(v);
        i++;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return o;
}

/** A plain text message of exactly `bytes` bytes (CRLF lines), distinct per `n`. */
function message(bytes: number, n: number): Buffer {
  const head = `From: a@${DOMAIN}\r\nTo: b@${DOMAIN}\r\nSubject: fetch bench ${n}\r\nMessage-ID: <${n}.${bytes}@${DOMAIN}>\r\n\r\n`;
  const line = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\r\n';
  let body = '';
  while (head.length + body.length < bytes) body += line;
  return Buffer.from((head + body).slice(0, bytes), 'latin1');
}

async function selectMs(target: ImapTarget, times: number): Promise<number> {
  const s = await ImapSession.open(target);
  try {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < times; i++) await s.command('SELECT INBOX');
    return Number(process.hrtime.bigint() - t0) / 1e6 / times;
  } finally {
    await s.logout();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  installSignalHandlers();
  const work = mkdtempSync(join(tmpdir(), 'kepd-imap-fetch-'));
  onCleanup('work dir', () => rmSync(work, { recursive: true, force: true }));
  const kepd = new KepdInstance({
    repo: o.repo,
    dataDir: join(work, 'data'),
    domain: DOMAIN,
    logFile: join(work, 'kepd.log'),
    ports: {
      submission: await freePort(),
      submissions: await freePort(),
      relay: await freePort(),
      imap: await freePort(),
      imaps: await freePort(),
      api: await freePort(),
    },
  });
  await kepd.init();
  const users = o.sizes.map((_, i) => `okuyan.imap.${i + 1}@${DOMAIN}`);
  for (const u of users) await kepd.createAccount(u, PASSWORD);
  // the profiler hook goes to the daemon only (KepdInstance passes this process's environment)
  await withProfilerHook(o.cpuProf, () => kepd.start());
  const subject = (i: number): ImapSubject => ({
    name: 'kepd',
    target: { port: kepd.opts.ports.imaps, ca: kepd.caPem(), user: users[i], pass: PASSWORD },
    pids: () => [kepd.pid()],
  });
  const lines: string[] = [];
  for (const [i, bytes] of o.sizes.entries()) {
    const s = subject(i);
    const t0 = Date.now();
    await appendMessages(s.target, o.mailbox, (n) => message(bytes, n), 8);
    log(`${o.mailbox} × ${bytes} B appended in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // untimed: JIT warm-up of the FETCH path
    await runImapRow(s, 'bulk', 1, o.mailbox, o.mailbox, bytes, 0);
    lines.push(`${bytes} B: SELECT of ${o.mailbox} messages: ${(await selectMs(s.target, 20)).toFixed(2)} ms`);
    for (const row of o.rows) {
      if (o.cpuProf) startProfile(kepd.pid());
      const r = await runImapRow(s, row.mode, row.sessions, o.mailbox, o.mailbox, bytes, o.seconds);
      if (o.cpuProf) await saveProfile(kepd.pid(), o.cpuProf, `${bytes}-${row.mode}${row.sessions}`);
      if (r.errors.length) throw new Error(r.errors.join('\n'));
      lines.push(
        `${bytes} B ${row.mode.padEnd(6)} ×${String(row.sessions).padEnd(2)}: ${r.msgPerSec.toFixed(0).padStart(6)} msg/s, ` +
          `${((r.cpuSeconds * 1000) / r.messages).toFixed(3)} CPU ms/msg, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
      );
      log(lines[lines.length - 1]);
    }
  }
  await kepd.stop();
  lines.push(`load average (1 min) at the end: ${loadavg()[0].toFixed(2)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

main()
  .catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
