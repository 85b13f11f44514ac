/**
 * The running daemon: runtime, job worker, blob sweeper, SMTP submission and IMAP listeners.
 * `stop()` drains: listeners close first, then running jobs finish, then the store closes.
 */
import { readFileSync } from 'node:fs';
import type { KepdConfig } from '../config';
import { resolveInData } from '../config';
import { mailboxWriteRefusal } from '../accounts/service';
import { AccessWatcher } from '../engine/access-watcher';
import { startMemoryValve } from '../common/memory-valve';
import { createRuntime, type Runtime, type RuntimeOptions } from '../engine/runtime';
import { createRetrievalRecorder } from '../engine/retrieval';
import { SubmissionService } from '../engine/submission';
import { createImapServer } from '../imap';
import type { Logger } from '../log';
import { assertPrivateKeyFileMode } from '../pki/identity';
import { ConnectionLimiter } from '../policy/connection-limits';
import { SubmissionListener } from '../smtp/submission-server';
import { BlobSweeper } from './blob-sweeper';
import { startJobRunners } from './job-runners';
import { widenHeapGrowth } from './heap-growth';
import { lowerThisThreadPriority } from './thread-priority';

export interface DaemonPorts {
  submission: number;
  submissions: number;
  imap: number;
  imaps: number;
}

export class Daemon {
  private constructor(
    readonly runtime: Runtime,
    readonly ports: DaemonPorts,
    private readonly closers: Array<() => Promise<void>>,
  ) {}

  static async start(config: KepdConfig, logger: Logger, options: RuntimeOptions = {}): Promise<Daemon> {
    // Before the job threads start (heap-growth.ts).
    widenHeapGrowth();
    // A daemon checkpoints the WAL off its event loop (store/embedded/checkpointer.ts).
    const rt = await createRuntime(config, logger, { storeThread: { checkpoints: 'background' }, ...options });
    const closers: Array<() => Promise<void>> = [];
    const accessPolicy = { closedAccessDays: config.accounts.closed_access_days };
    try {
      const tlsKeyPath = resolveInData(config.data_dir, config.pki.tls_key);
      assertPrivateKeyFileMode(tlsKeyPath);
      const tls = {
        key: readFileSync(tlsKeyPath),
        cert: readFileSync(resolveInData(config.data_dir, config.pki.tls_cert)),
      };
      const jobs = startJobRunners(rt, config);
      closers.push(() => jobs.stop());
      // After the job threads exist: they keep the priority this thread gives up.
      if (config.jobs.threads > 0) lowerThisThreadPriority(config.jobs.frontend_nice, logger);
      const sweeper = new BlobSweeper(rt.store, logger, config.store.sweep_interval_ms);
      sweeper.start();
      closers.push(() => sweeper.stop());
      // Buffers of large streams are released soon after use (common/memory-valve.ts).
      const valve = startMemoryValve();
      closers.push(async () => valve.stop());

      const service = new SubmissionService(rt);
      const smtp = new SubmissionListener({
        service,
        logger,
        tls,
        hostname: config.domain,
        maxMessageBytes: config.limits.max_message_bytes,
        socketTimeoutMs: config.smtp.socket_timeout_ms,
        maxCommandLineBytes: config.smtp.max_command_line_bytes,
        maxCommandsPerSession: config.smtp.max_commands_per_session,
        connections: new ConnectionLimiter({ perAddress: config.smtp.max_connections_per_ip, perAccount: config.smtp.max_connections_per_account }),
      });
      closers.unshift(() => smtp.close());
      const submission = await smtp.listen(config.smtp.submission_port, config.host, false);
      const submissions = await smtp.listen(config.smtp.submissions_port, config.host, true);

      const imap = createImapServer({
        store: rt.store,
        tls,
        logger,
        authenticate: async (username, password, client) => {
          const user = await service.login(username, password, { protocol: 'imap', address: client.address });
          if (!user) return null;
          return user.operator === undefined
            ? { accountId: user.accountId, address: user.address }
            : { accountId: user.accountId, address: user.address, operator: user.operator };
        },
        onRetrieval: createRetrievalRecorder(rt),
        writeRefusal: (accountId) => mailboxWriteRefusal(rt.store, accountId, rt.now(), accessPolicy),
        maxMessageBytes: config.limits.max_message_bytes,
        socketTimeoutMs: config.imap.socket_timeout_ms,
        now: rt.now,
        sessionLimits: {
          connections: new ConnectionLimiter({ perAddress: config.imap.max_connections_per_ip, perAccount: config.imap.max_connections_per_account }),
          maxCommandLineBytes: config.imap.max_command_line_bytes,
          maxCommandsPerSession: config.imap.max_commands_per_session,
        },
      });
      closers.unshift(() => imap.close());
      const imapPort = (await imap.listen({ port: config.imap.port, host: config.host, secure: false })).port;
      const imapsPort = (await imap.listen({ port: config.imap.tls_port, host: config.host, secure: true })).port;

      // removed operators and ended read-only periods end open sessions too
      const watcher = new AccessWatcher(rt, [imap]);
      await watcher.start();
      closers.unshift(() => watcher.stop());

      const ports = { submission, submissions, imap: imapPort, imaps: imapsPort };
      for (const [service, port] of Object.entries(ports)) logger.info({ service, host: config.host, port }, 'listening');
      closers.push(() => rt.store.close());
      return new Daemon(rt, ports, closers);
    } catch (err) {
      for (const close of closers) await close().catch(() => undefined);
      await rt.store.close().catch(() => undefined);
      throw err;
    }
  }

  /** Resolves when no job is pending (tests and `drain`). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.runtime.store.jobs.pendingCount()) > 0) {
      if (Date.now() > deadline) throw new Error('jobs still pending after ' + timeoutMs + ' ms');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    for (const close of this.closers) {
      try {
        await close();
      } catch (err) {
        this.runtime.logger.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  }
}
