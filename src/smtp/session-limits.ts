/**
 * A limit smtp-server does not have: commands per connection. It is enforced where every
 * command line enters (`SMTPConnection#_onCommand`, AUTH continuation lines included), only on
 * servers created with the option below, and answered like smtp-server's own limits: 421 and
 * the connection is closed.
 */
import { dirname, join } from 'node:path';

/** SMTPServer option (ours, ignored by smtp-server itself): commands per connection, 0 = no limit. */
export const MAX_COMMANDS_OPTION = 'kepdMaxCommandsPerSession';

const COUNT = Symbol('kepd.commandCount');

interface ConnectionLike {
  _server: { options: Record<string, unknown> };
  [COUNT]?: number;
  send(code: number, data?: string | string[], context?: string | false): void;
}

type OnCommand = (this: ConnectionLike, command: Buffer, callback?: () => void) => void;

let installed = false;

export function installCommandLimit(): void {
  if (installed) return;
  installed = true;
  // Not exported by the package; an absolute path reaches the very module the server uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dirname(require.resolve('smtp-server')), 'smtp-connection.js')) as {
    SMTPConnection: { prototype: { _onCommand: OnCommand } };
  };
  const proto = mod.SMTPConnection.prototype;
  const original = proto._onCommand;
  proto._onCommand = function onCommand(command, callback) {
    const max = this._server.options[MAX_COMMANDS_OPTION];
    if (typeof max === 'number' && max > 0) {
      const count = (this[COUNT] ?? 0) + 1;
      this[COUNT] = count;
      // 421 closes the connection; the parser is not resumed, like smtp-server's own limits.
      if (count > max) return this.send(421, `4.7.0 Too many commands in this session (at most ${max}); closing connection`);
    }
    return original.call(this, command, callback);
  };
}
