/** Lower-case hex SHA-256 of bytes: the form ids, fingerprints and the store's hashes use. */
import { createHash } from 'node:crypto';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
