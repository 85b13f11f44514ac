/**
 * Time-sortable identifiers (ULID layout): 48-bit millisecond time then 80 random bits, in
 * Crockford base32 — 26 characters that sort by creation time and never start with '-'.
 * Monotonic within a process, also when the clock steps back.
 */
import { randomBytesPooled } from './random';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Buffer = Buffer.alloc(10);

export function newSortableId(now: number = Date.now()): string {
  if (now <= lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = randomBytesPooled(10);
  }
  return encodeTime(lastTime) + encodeRandom(lastRandom);
}

function increment(b: Buffer): void {
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] === 0xff) {
      b[i] = 0;
    } else {
      b[i] = (b[i] as number) + 1;
      return;
    }
  }
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

function encodeRandom(b: Buffer): string {
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
