/**
 * The IMAP front end: WildDuck's imap-core speaks the protocol, our handlers answer from the
 * MailStore. One server object can listen on several ports (STARTTLS on 143, implicit TLS on
 * 993); all listeners share the handlers, the notifier and the parse cache.
 */
import type { AddressInfo } from 'node:net';
import { IMAPServer } from '@zone-eu/wildduck/imap-core';
import type { Logger } from '../log';
import type { MailStore, MessageRecord } from '../store/types';
import type { HandlerContext } from './handlers/context';
import { routeImapCoreErrors } from './error-sink';
import { imapCoreLogger } from './logger-adapter';
import { DEFAULT_MAX_MAILBOXES } from './mailbox-rules';
import { MessageMetaCache } from './message-meta';
import { ImapNotifier } from './notifier';
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
  authenticate: (username: string, password: string) => Promise<{ accountId: string; address: string } | null>;
  /** Records that the account retrieved a dispatch; called before its content is sent. */
  onRetrieval: (message: MessageRecord, accountId: string) => Promise<void>;
  maxMessageBytes: number;
  socketTimeoutMs?: number;
  /** How long an IDLE may last before the server ends it with BYE (RFC 2177: at least 30 minutes). */
  idleTimeoutMs?: number;
  now?: () => Date;
  /** Mailboxes per account, defaults included (1000 when not given). */
  maxMailboxes?: number;
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
}

/** How long open sessions get after close() before they are cut. */
const CLOSE_GRACE_MS = 1000;
const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;

export function createImapServer(options: ImapServerOptions): ImapServer {
  const logger = options.logger.child({ component: 'imap' });
  routeImapCoreErrors(logger);
  const notifier = new ImapNotifier(options.store, logger);
  const ctx: HandlerContext = {
    store: options.store,
    logger,
    notifier,
    meta: new MessageMetaCache(options.store),
    authenticate: options.authenticate,
    onRetrieval: options.onRetrieval,
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
  };
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
