/**
 * Bridges our async handlers to imap-core's callback style: resolved values become callback
 * arguments, a rejection becomes the error imap-core answers with NO (never a crash).
 * Curried so the callback fixes the answer's type before the work is written.
 */
import type { Logger } from '../../log';
import { ConnectionClosed, ImapRefusal } from '../errors';

export function settle<T extends unknown[]>(
  logger: Logger,
  command: string,
  callback: (err: Error | null, ...values: T) => void,
): (work: () => Promise<T>) => void {
  return (work) => {
    work().then(
      (values) => deliver(logger, command, () => callback(null, ...values)),
      (err: unknown) => {
        // refusals are answers, and a vanished client is not a server problem
        if (!(err instanceof ImapRefusal) && !(err instanceof ConnectionClosed)) logger.warn({ err, command }, 'IMAP command failed');
        const error = err instanceof Error ? err : new Error(String(err));
        deliver(logger, command, () => (callback as unknown as (e: Error) => void)(error));
      },
    );
  };
}

function deliver(logger: Logger, command: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err, command }, 'IMAP response could not be delivered');
  }
}
