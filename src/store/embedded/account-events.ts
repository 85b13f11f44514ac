/** Account history rows: appended inside the write transaction of the change they record. */
import { sha256Hex } from '../../common/hash';
import type { AccountEvent, NewAccountEvent } from '../types';
import type { StoreContext } from './context';
import { toAccountEvent, type AccountEventRow } from './rows';

export const ACCOUNT_EVENT_COLUMNS = 'seq, account_id, kind, actor, at, details, document_sha256';

/** Appends one history entry; call inside a write transaction. */
export function insertAccountEvent(ctx: StoreContext, accountId: string, event: NewAccountEvent): AccountEvent {
  const at = (event.at ?? ctx.now()).getTime();
  const documentSha256 = event.document ? sha256Hex(event.document) : null;
  const row = ctx.db.get<AccountEventRow>(
    `INSERT INTO account_events (account_id, kind, actor, at, details, document, document_sha256)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ${ACCOUNT_EVENT_COLUMNS}`,
    accountId,
    event.kind,
    event.actor,
    at,
    event.details ? JSON.stringify(event.details) : null,
    event.document ?? null,
    documentSha256,
  );
  return toAccountEvent(row!);
}
