/** What every part of the embedded store shares: the connection, the layout, the clock. */
import type { EventEmitter } from 'node:events';
import type { Logger } from '../../log';
import type { DataPaths } from '../../config/paths';
import type { SqliteDb } from './database';

export interface StoreContext {
  db: SqliteDb;
  paths: DataPaths;
  now: () => Date;
  logger: Logger;
  events: EventEmitter;
}

/**
 * Emits a store event after a change is durable. A listener's failure must not turn a
 * committed change into an error for the caller, so it is logged instead.
 */
export function notify(ctx: StoreContext, event: 'mailbox-change' | 'jobs', payload?: { accountId: string; mailboxId: string }): void {
  try {
    if (payload) ctx.events.emit(event, payload);
    else ctx.events.emit(event);
  } catch (err) {
    ctx.logger.error({ err, event }, 'store event listener failed');
  }
}
