/**
 * imap-core logs bunyan-style (`fields, format, ...args`). Its debug level carries protocol
 * traffic (commands and responses, i.e. message bodies and credentials), so debug is dropped
 * entirely; info/error keep only fields that are identifiers, never payloads.
 */
import { format } from 'node:util';
import type { ImapCoreLogger } from '@zone-eu/wildduck/imap-core';
import type { Logger } from '../log';

const SAFE_FIELDS = ['tnx', 'cid', 'method', 'action', 'host', 'port', 'secure', 'protocol', 'cipher', 'servername'];

/** `logger` should already carry the component name. */
export function imapCoreLogger(logger: Logger): ImapCoreLogger {
  const emit = (level: 'debug' | 'warn', args: unknown[]): void => {
    if (!logger.isLevelEnabled(level)) return;
    let fields: Record<string, unknown> = {};
    if (args.length && args[0] !== null && typeof args[0] === 'object' && !(args[0] instanceof Error)) {
      const raw = args.shift() as Record<string, unknown>;
      for (const key of SAFE_FIELDS) if (key in raw) fields[key] = raw[key];
      if (raw.err instanceof Error) fields = { ...fields, err: { name: raw.err.name, message: raw.err.message, code: (raw.err as { code?: unknown }).code } };
    }
    const [fmt, ...rest] = args;
    logger[level](fields, typeof fmt === 'string' ? format(fmt, ...rest) : 'imap-core event');
  };
  return {
    trace: () => undefined,
    debug: () => undefined,
    // connection, auth and TLS events: useful when tracing a client, noise otherwise
    info: (...args: unknown[]) => emit('debug', args),
    warn: (...args: unknown[]) => emit('warn', args),
    error: (...args: unknown[]) => emit('warn', args),
    fatal: (...args: unknown[]) => emit('warn', args),
  };
}
