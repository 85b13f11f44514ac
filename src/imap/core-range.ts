/**
 * Sequence sets to UIDs, for imap-core. Its `getMessageRange` re-parses every range of the set
 * (split, Number) once per message of the selected mailbox: in a mailbox of 1,000 messages that
 * was the largest single cost of a one-message `UID FETCH`. This is the same function with the
 * set parsed once per call; it returns exactly what the original returns, quirks included
 * (`0` and garbage count as 1, `a:b:c` is `a:c`, `*` in an empty mailbox counts as the other
 * end). Installed in place of the original in imap-core's tools module, which every command
 * (FETCH, STORE, COPY, MOVE, SEARCH, UID EXPUNGE) calls through at call time.
 */
import { dirname, join } from 'node:path';

interface Bounds {
  low: number;
  high: number;
}

type MessageRange = (uidList: number[], range: unknown, isUid: boolean) => number[];

/** The UIDs of `uidList` (in its order) that the sequence set `range` names. */
export function getMessageRange(uidList: number[], range: unknown, isUid: boolean): number[] {
  let maxUid = 0;
  for (let i = 0; i < uidList.length; i++) if (uidList[i] > maxUid) maxUid = uidList[i];
  const total = isUid ? maxUid : uidList.length;
  const sets = String(range || '')
    .split(',')
    .map((part) => bounds(part, total));
  const result: number[] = [];
  for (let i = 0; i < uidList.length; i++) {
    const nr = isUid ? uidList[i] || 1 : i + 1;
    for (let s = 0; s < sets.length; s++) {
      if (nr >= sets[s].low && nr <= sets[s].high) {
        result.push(uidList[i]);
        break;
      }
    }
  }
  return result;
}

/** One `from[:to]` part, resolved as imap-core resolves it. */
function bounds(part: string, total: number): Bounds {
  const pieces = part.split(':');
  const first = pieces.shift();
  const from = Number(first === '*' ? total : first) || 1;
  const last = pieces.pop() || from;
  const to = Number((last === '*' && total) || last) || from;
  return { low: Math.min(from, to), high: Math.max(from, to) };
}

let installed = false;

/** Puts `getMessageRange` in place of imap-core's own (once per process). */
export function installFastMessageRange(): void {
  if (installed) return;
  installed = true;
  const tools = imapTools();
  tools.getMessageRange = getMessageRange;
}

/** imap-core's tools module (the object its commands call `getMessageRange` on). */
export function imapTools(): { getMessageRange: MessageRange } {
  const file = join(dirname(require.resolve('@zone-eu/wildduck/imap-core')), 'lib', 'imap-tools.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as { getMessageRange: MessageRange };
}
