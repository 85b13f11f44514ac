/**
 * The IMAP front end: WildDuck's imap-core speaks the protocol, our handlers answer from the
 * MailStore. One server object can listen on several ports (STARTTLS on 143, implicit TLS on
 * 993); all listeners share the handlers, the notifier and the parse cache.
 */
import type { AddressInfo } from 'node:net';
import { IMAPServer, type ImapUser } from '@zone-eu/wildduck/imap-core';
import { guardSockets } from '../common/socket-guard';
import type { Logger } from '../log';
import { ConnectionLimiter } from '../policy/connection-limits';
import type { MailStore, MessageRecord } from '../store/types';
import type { HandlerContext, ImapClient, ImapPrincipal } from './handlers/context';
import { installImapCoreFixes } from './core-fixes';
import { installFastMessageRange } from './core-range';
import { routeImapCoreErrors } from './error-sink';
import { imapCoreLogger } from './logger-adapter';
import { DEFAULT_MAX_MAILBOXES } from './mailbox-rules';
import { MessageMetaCache } from './message-meta';
import { ImapNotifier } from './notifier';
import { ImapSessionGuard } from './session-guard';
import { onAppend } from './handlers/on-append';
import { onAuth } from './handlers/on-auth';
import { onCopy } from './handlers/on-copy';
import { onCreate } from './handlers/on-create';
import { onDelete } from './handlers/on-delete';
import { onExpunge } from './handlers/on-expunge';
import { onFetch } from './handlers/on-fetch';
import { onGetQuota } from './handlers/on-get-quota';
import { onGetQuotaRoot } from './handlers/on-get-quota-root';
import { onList } from './handlers/on-list';
import { onLsub } from './handlers/on-lsub';
import { onMove } from './handlers/on-move';
import { onOpen } from './handlers/on-open';
import { onRename } from './handlers/on-rename';
import { onSearch } from './handlers/on-search';
import { onStatus } from './handlers/on-status';
import { onStore } from './handlers/on-store';
import { onSubscribe } from './handlers/on-subscribe';
import { onUnsubscribe } from './handlers/on-unsubscribe';

export interface ImapServerOptions {
  store: MailStore;
  tls: { key: Buffer | string; cert: Buffer | string };
  logger: Logger;
  /** Checks credentials; null when they are wrong (or the account may not log in). */
  authenticate: (username: string, password: string, client: ImapClient) => Promise<ImapPrincipal | null>;
  /** Records that the account retrieved a dispatch (and which operator read it); called before its content is sent. */
  onRetrieval: (message: MessageRecord, accountId: string, reader?: { operator?: string }) => Promise<void>;
  /** Why the account may not change its mailboxes now (e.g. closed: read-only), or undefined. */
  writeRefusal?: (accountId: string) => Promise<string | undefined>;
  maxMessageBytes: number;
  socketTimeoutMs?: number;
  /** How long an IDLE may last before the server ends it with BYE (RFC 2177: at least 30 minutes). */
  idleTimeoutMs?: number;
  now?: () => Date;
  /** Mailboxes per account, defaults included (1000 when not given). */
  maxMailboxes?: number;
  /** Connection and command limits; without it only the built-in line limit applies. */
  sessionLimits?: {
    connections: ConnectionLimiter;
    maxCommandLineBytes: number;
    /** 0 = no limit. */
    maxCommandsPerSession: number;
  };
}

export interface ImapListenOptions {
  port: number;
  host: string;
  /** true: implicit TLS; false: plain with STARTTLS (login only after it). */
  secure: boolean;
}

export interface ImapServer {
  listen(options: ImapListenOptions): Promise<{ port: number }>;
  /** Stops accepting, says BYE to open sessions and resolves when all listeners are closed. */
  close(): Promise<void>;
  /** Who the logged-in sessions act as, one entry per session. */
  sessionPrincipals(): Array<{ accountId: string; operator?: string }>;
  /** Ends (BYE `reason`, then close) every logged-in session whose principal matches; returns how many. */
  endSessions(match: (principal: { accountId: string; operator?: string }) => boolean, reason: string): number;
}

/** How long open sessions get after close() before they are cut. */
const CLOSE_GRACE_MS = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** Line limit when the caller sets none (config default of imap.max_command_line_bytes). */
const DEFAULT_MAX_COMMAND_LINE = 65536;

export function createImapServer(options: ImapServerOptions): ImapServer {
  const logger = options.logger.child({ component: 'imap' });
  routeImapCoreErrors(logger);
  installImapCoreFixes(logger);
  installFastMessageRange();
  const notifier = new ImapNotifier(options.store, logger);
  const connections = options.sessionLimits?.connections ?? new ConnectionLimiter({ perAddress: 0, perAccount: 0 });
  const sessions = new ImapSessionGuard(
    {
      connections,
      maxCommandLineBytes: options.sessionLimits?.maxCommandLineBytes ?? DEFAULT_MAX_COMMAND_LINE,
      maxCommandsPerSession: options.sessionLimits?.maxCommandsPerSession ?? 0,
      maxMessageBytes: options.maxMessageBytes,
    },
    logger,
  );
  const ctx: HandlerContext = {
    store: options.store,
    logger,
    notifier,
    meta: new MessageMetaCache(options.store),
    authenticate: options.authenticate,
    sessions,
    onRetrieval: options.onRetrieval,
    writeRefusal: options.writeRefusal,
    maxMessageBytes: options.maxMessageBytes,
    maxMailboxes: options.maxMailboxes ?? DEFAULT_MAX_MAILBOXES,
    now: options.now ?? (() => new Date()),
  };
  const listeners: IMAPServer[] = [];
  let closed = false;

  return {
    async listen({ port, host, secure }) {
      if (closed) throw new Error('IMAP server is closed');
      const server = new IMAPServer({
        secure,
        key: options.tls.key,
        cert: options.tls.cert,
        // imap-core's own default is TLSv1
        minVersion: 'TLSv1.2',
        logger: imapCoreLogger(logger),
        maxMessage: options.maxMessageBytes,
        socketTimeout: options.socketTimeoutMs,
        idleTimeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        closeTimeout: CLOSE_GRACE_MS,
        skipFetchLog: true,
        enableCompression: false,
        // responses go out in several small writes; Nagle + delayed ACK would stall each ~40 ms
        noDelay: true,
        id: { name: 'kepd' },
        // imap-core installs no default SNI handler for implicit-TLS listeners and then calls
        // it on every client that sends SNI; one certificate serves every name here.
        SNICallback: (_opts: unknown, cb: (err: Error | null, context?: unknown) => void) => cb(null, undefined),
      });
      attachHandlers(server, ctx);
      sessions.attach(server);
      guardSockets(server.server, connections, logger, 'imap');
      server.on('error', (err: Error) => logger.warn({ err: { name: err.name, message: err.message } }, 'IMAP connection error'));
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, host, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
      listeners.push(server);
      const bound = (server.server.address() as AddressInfo).port;
      logger.info({ port: bound, host, secure }, 'IMAP listening');
      return { port: bound };
    },

    async close() {
      closed = true;
      await Promise.all(listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      listeners.length = 0;
      notifier.close();
    },

    sessionPrincipals() {
      return notifier.sessionUsers().map(principalOf);
    },

    endSessions(match, reason) {
      return notifier.endSessions((user) => match(principalOf(user)), reason);
    },
  };
}

function principalOf(user: ImapUser): { accountId: string; operator?: string } {
  return user.operator === undefined ? { accountId: user.id } : { accountId: user.id, operator: user.operator };
}

function attachHandlers(server: IMAPServer, ctx: HandlerContext): void {
  server.notifier = ctx.notifier;
  server.onAuth = onAuth(ctx);
  server.onList = onList(ctx);
  server.onLsub = onLsub(ctx);
  server.onSubscribe = onSubscribe(ctx);
  server.onUnsubscribe = onUnsubscribe(ctx);
  server.onCreate = onCreate(ctx);
  server.onRename = onRename(ctx);
  server.onDelete = onDelete(ctx);
  server.onOpen = onOpen(ctx);
  server.onStatus = onStatus(ctx);
  server.onAppend = onAppend(ctx);
  server.onStore = onStore(ctx);
  server.onExpunge = onExpunge(ctx);
  server.onCopy = onCopy(ctx);
  server.onMove = onMove(ctx);
  server.onFetch = onFetch(ctx);
  server.onSearch = onSearch(ctx);
  server.onGetQuotaRoot = onGetQuotaRoot(ctx);
  server.onGetQuota = onGetQuota(ctx);
}
