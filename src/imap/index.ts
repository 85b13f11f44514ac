/** IMAP front end (imap-core + handlers over the MailStore). */
export { createImapServer } from './server';
export type { ImapServer, ImapServerOptions, ImapListenOptions } from './server';
export { isRecordableRetrieval, queryHandsOverContent } from './fetch/retrieval';
export { DEFAULT_MAX_MAILBOXES } from './mailbox-rules';
