/**
 * Random bytes from node:crypto, drawn from a pool refilled 4 KiB at a time. Each small
 * `randomBytes()` call costs a trip into OpenSSL (measured at tens of microseconds on this
 * machine's VM); ids, boundaries and serials need a few bytes many times per message.
 * The pool is the same CSPRNG output, handed out once and never reused.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `n` fresh random bytes (a new Buffer the caller owns). */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_SIZE / 4) return randomFillSync(Buffer.allocUnsafe(n));
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  // Handed-out bytes are wiped so the pool never holds a copy of what was given away.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
