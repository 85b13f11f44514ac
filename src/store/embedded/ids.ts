/** Record ids (time-ordered, so ids sort roughly by creation) and opaque tokens. */
import { randomBytes } from 'node:crypto';
import { newSortableId } from '../../common/ulid';

/** A 26-character time-sortable id. */
export function newId(now: Date = new Date()): string {
  return newSortableId(now.getTime());
}

/** An unguessable token (job leases). */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}
