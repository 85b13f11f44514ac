/** Record ids: ULIDs (time-ordered, so ids sort roughly by creation) and opaque tokens. */
import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A 26-character ULID: 48-bit millisecond time, 80 random bits, Crockford base32. */
export function newId(now: Date = new Date()): string {
  let time = now.getTime();
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  const rnd = randomBytes(10);
  // 80 bits = 16 base32 digits, taken 5 bits at a time.
  let acc = 0;
  let bits = 0;
  for (const byte of rnd) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** An unguessable token (job leases). */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}
