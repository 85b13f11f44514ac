/** Record ids (time-ordered, so ids sort roughly by creation). Lease tokens: lease-owner.ts. */
import { newSortableId } from '../../common/ulid';

/** A 26-character time-sortable id. */
export function newId(now: Date = new Date()): string {
  return newSortableId(now.getTime());
}
