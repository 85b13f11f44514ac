/**
 * Fixes for defects of imap-core (the pinned @zone-eu/wildduck version) found by fuzzing, made
 * on its command modules in place (its command table holds these very objects):
 * - Several command handlers throw on unexpected arguments (`ENABLE` without any, `LSUB` with
 *   an empty pattern, ...) outside any try/catch: one command from any client would end the
 *   process. Every handler is wrapped: a synchronous throw becomes `BAD` for that command.
 * - `LSUB <ref> ""` (or a list where the pattern belongs) is answered the way LIST answers an
 *   empty pattern (RFC 3501 6.3.8: the hierarchy delimiter) instead of failing.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { imapHandler } from '@zone-eu/wildduck/imap-core';
import type { Logger } from '../log';

interface CommandAttribute {
  value?: unknown;
}

interface ConnectionLike {
  send(payload: string): void;
}

type Callback = (err: Error | null, response?: { response: string }) => void;
type Handler = (this: ConnectionLike, command: { attributes?: CommandAttribute[] }, callback: Callback, ...rest: unknown[]) => void;

interface CommandModule {
  handler?: Handler;
}

let installed = false;
let report: (command: string, err: unknown) => void = () => undefined;

/** Installs the fixes once per process; `logger` receives the handler failures. */
export function installImapCoreFixes(logger: Logger): void {
  report = (command, err) => logger.warn({ command, err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'imap-core command failed on its input');
  if (installed) return;
  installed = true;
  const dir = join(dirname(require.resolve('@zone-eu/wildduck/imap-core')), 'lib', 'commands');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(dir, file)) as CommandModule;
    if (typeof mod.handler === 'function') mod.handler = guarded(file.replace(/\.js$/, '').toUpperCase(), mod.handler);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lsub = require(join(dir, 'lsub.js')) as { handler: Handler };
  const guardedLsub = lsub.handler;
  lsub.handler = function handler(command, callback, ...rest) {
    const pattern = command.attributes?.[1]?.value;
    if (!(typeof pattern === 'string' || Buffer.isBuffer(pattern)) || pattern.length === 0) return delimiterOnly(this, callback);
    return guardedLsub.call(this, command, callback, ...rest);
  };
}

function guarded(name: string, original: Handler): Handler {
  return function handler(command, callback, ...rest) {
    let answered = false;
    const once: Callback = (err, response) => {
      answered = true;
      callback(err, response);
    };
    try {
      original.call(this, command, once, ...rest);
    } catch (err) {
      report(name, err);
      if (!answered) once(Object.assign(new Error('Invalid arguments'), { response: 'BAD' }));
    }
  };
}

function delimiterOnly(connection: ConnectionLike, callback: Callback): void {
  connection.send(
    imapHandler.compiler({
      tag: '*',
      command: 'LSUB',
      attributes: [[{ type: 'atom', value: '\\Noselect' }], '/', '/'],
    }),
  );
  callback(null, { response: 'OK' });
}
