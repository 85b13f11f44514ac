/**
 * Two adjustments to smtp-server's replies, made at its single write point (`send`):
 * - it adds an enhanced status code derived from the basic code alone (550 → 5.1.1); our
 *   replies carry the precise RFC 3463 code in their text, so those are left alone;
 * - it advertises AUTH in EHLO before STARTTLS (and then refuses it with 538); AUTH is offered
 *   only after TLS (interface.md), so it is dropped from a cleartext EHLO reply;
 * - its reply to an over-long command line ("421 Error: Command line too long") does not say
 *   what the limit is; ours does.
 */
import { dirname, join } from 'node:path';

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;
let installed = false;

type SendFn = (
  this: { secure?: boolean; _server?: { options?: { maxCommandLength?: number } } },
  code: number,
  data?: string | string[],
  context?: string | false,
) => void;

export function installReplyPatches(): void {
  if (installed) return;
  installed = true;
  // Not exported by the package; an absolute path reaches the very module the server uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dirname(require.resolve('smtp-server')), 'smtp-connection.js')) as {
    SMTPConnection: { prototype: { send: SendFn } };
  };
  const proto = mod.SMTPConnection.prototype;
  const original = proto.send;
  proto.send = function send(code, data, context) {
    if (code === 250 && Array.isArray(data) && !this.secure) data = data.filter((line) => !/^AUTH\b/i.test(line));
    if (code === 421 && data === 'Error: Command line too long') {
      const max = this._server?.options?.maxCommandLength;
      data = `4.7.0 Command line too long${max ? ` (at most ${max} bytes)` : ''}; closing connection`;
    }
    const own = typeof data === 'string' && ENHANCED_PREFIX.test(data);
    return original.call(this, code, data, own ? false : context);
  };
}
