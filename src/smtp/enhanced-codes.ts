/**
 * smtp-server adds its own enhanced status code to every reply, derived from the basic code
 * alone (550 → 5.1.1). Our replies carry the precise RFC 3463 code in their text; this makes
 * the library leave such replies alone while keeping its codes on its own replies.
 */
import { dirname, join } from 'node:path';

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;
let installed = false;

type SendFn = (code: number, data?: string | string[], context?: string | false) => void;

export function installEnhancedCodePassthrough(): void {
  if (installed) return;
  installed = true;
  // Not exported by the package; an absolute path reaches the very module the server uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dirname(require.resolve('smtp-server')), 'smtp-connection.js')) as {
    SMTPConnection: { prototype: { send: SendFn } };
  };
  const proto = mod.SMTPConnection.prototype;
  const original = proto.send;
  proto.send = function send(this: unknown, code, data, context) {
    const own = typeof data === 'string' && ENHANCED_PREFIX.test(data);
    return original.call(this, code, data, own ? false : context);
  };
}
