/**
 * Evidence identifiers: `ev-` + 26 Crockford base32 characters (48-bit millisecond time, then
 * 80 random bits, as in ULID), so ids sort by creation time and are valid NCNames.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom = Buffer.alloc(10);

/** `id` is the root @Id (NCName); `identifier` is the globally unique EvidenceIdentifier. */
export function newEvidenceId(domain: string, now: number = Date.now()): { id: string; identifier: string } {
  const id = 'ev-' + nextUlid(now);
  return { id, identifier: `${id}@${domain}` };
}

function nextUlid(now: number): string {
  if (now <= lastTime) {
    // Same (or an earlier, clock stepped back) millisecond: stay monotonic within this process.
    incrementRandom(lastRandom);
  } else {
    lastTime = now;
    lastRandom = randomBytes(10);
  }
  return encodeTime(lastTime) + encodeBase32(lastRandom);
}

function incrementRandom(b: Buffer): void {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] === 0xff) {
      b[i] = 0;
    } else {
      b[i] = (b[i] as number) + 1;
      return;
    }
  }
  // 80-bit overflow within one millisecond is not reachable in practice; move the clock on.
  lastTime++;
}

function encodeTime(ms: number): string {
  let s = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    s = ALPHABET[t % 32] + s;
    t = Math.floor(t / 32);
  }
  return s;
}

/** 80 bits → 16 characters. */
function encodeBase32(b: Buffer): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return s;
}
