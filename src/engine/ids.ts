/** Provider message ids: `K` + a time-sortable 26-character id (readable in logs and replies). */
import { newSortableId } from '../common/ulid';

export function newMessageId(now: Date): string {
  return 'K' + newSortableId(now.getTime());
}

/** Accepts `K...`, `<K...@domain>` or `K...@domain` and returns the bare id. */
export function bareMessageId(input: string): string {
  return input.trim().replace(/^</, '').replace(/>$/, '').replace(/@.*$/, '');
}
