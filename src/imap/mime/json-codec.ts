/**
 * ENVELOPE and BODYSTRUCTURE trees hold Buffers (decoded header text as UTF-8 bytes). To cache
 * them as JSON, a Buffer becomes `{ "$b": base64 }` and comes back as a Buffer.
 */
import type { JsonValue } from '../../store/types';

export function encodeTree(value: unknown): JsonValue {
  if (value === null || value === undefined || value === false) return null;
  if (Buffer.isBuffer(value)) return { $b: value.toString('base64') };
  if (Array.isArray(value)) return value.map(encodeTree);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

export function decodeTree(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(decodeTree);
  if (value !== null && typeof value === 'object') {
    const b = value.$b;
    return typeof b === 'string' ? Buffer.from(b, 'base64') : null;
  }
  return value;
}
