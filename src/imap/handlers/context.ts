/** What every command handler gets: the store and the services around it. */
import type { Logger } from '../../log';
import type { MailStore, MessageRecord } from '../../store/types';
import type { MessageMetaCache } from '../message-meta';
import type { ImapNotifier } from '../notifier';
import type { ImapSessionGuard } from '../session-guard';

/** Where a login comes from. */
export interface ImapClient {
  /** The client's IP address. */
  address: string;
}

/** Who a session acts as: the account, and the operator when one acts for an entity account. */
export interface ImapPrincipal {
  accountId: string;
  address: string;
  operator?: string;
}

export interface HandlerContext {
  store: MailStore;
  logger: Logger;
  notifier: ImapNotifier;
  meta: MessageMetaCache;
  /** Checks credentials; may throw a TemporaryFailure (e.g. a lockout), answered NO [UNAVAILABLE]. */
  authenticate: (username: string, password: string, client: ImapClient) => Promise<ImapPrincipal | null>;
  /** Connection limits (per address, per account, command size and count); absent in handler unit tests. */
  sessions?: ImapSessionGuard;
  /** Records a dispatch retrieval; must succeed before its content is sent. */
  onRetrieval: (message: MessageRecord, accountId: string, reader?: { operator?: string }) => Promise<void>;
  /**
   * Why the account may not change its mailboxes now (a closed account is read-only), or
   * undefined; absent = never refused.
   */
  writeRefusal?: (accountId: string) => Promise<string | undefined>;
  maxMessageBytes: number;
  /** Mailboxes an account may have in total (defaults included). */
  maxMailboxes: number;
  now: () => Date;
}
