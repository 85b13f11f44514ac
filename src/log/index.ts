/**
 * Structured logging (pino, JSON lines on stdout). Redaction is a safety net: callers never
 * pass message bodies, passwords or keys in the first place.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  'pass',
  '*.pass',
  'credentials',
  '*.credentials',
  'privateKey',
  '*.privateKey',
  'key',
  '*.key',
  'body',
  '*.body',
  'content',
  '*.content',
];

export function createLogger(options: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'kepd',
      level: options.level ?? 'info',
      redact: { paths: REDACT, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: true }),
  );
}

/** A logger that drops everything (library code defaults, unit tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
