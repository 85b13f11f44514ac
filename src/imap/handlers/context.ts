/** What every command handler gets: the store and the services around it. */
import type { Logger } from '../../log';
import type { MailStore, MessageRecord } from '../../store/types';
import type { MessageMetaCache } from '../message-meta';
import type { ImapNotifier } from '../notifier';

export interface HandlerContext {
  store: MailStore;
  logger: Logger;
  notifier: ImapNotifier;
  meta: MessageMetaCache;
  authenticate: (username: string, password: string) => Promise<{ accountId: string; address: string } | null>;
  /** Records a dispatch retrieval; must succeed before its content is sent. */
  onRetrieval: (message: MessageRecord, accountId: string) => Promise<void>;
  maxMessageBytes: number;
  /** Mailboxes an account may have in total (defaults included). */
  maxMailboxes: number;
  now: () => Date;
}
