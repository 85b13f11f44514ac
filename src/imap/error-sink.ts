/**
 * imap-core reports protocol errors through WildDuck's process-wide error module, which by
 * default prints them to stderr, including up to 150 characters of the offending command line
 * (a malformed LOGIN would print a password). Route them to our logger, identifiers only.
 */
import { setGelf } from '@zone-eu/wildduck/lib/errors';
import type { Logger } from '../log';

const KEPT = ['_code', '_reason', '_sess', '_command', '_error_response'];

export function routeImapCoreErrors(logger: Logger): void {
  setGelf({
    emit: (_channel, message) => {
      const fields: Record<string, unknown> = {};
      for (const key of KEPT) if (typeof message[key] === 'string') fields[key.slice(1)] = message[key];
      const summary = typeof message._error === 'string' ? message._error.split('\n')[0].slice(0, 200) : 'imap-core error';
      logger.debug(fields, `imap-core: ${summary}`);
    },
  });
}
