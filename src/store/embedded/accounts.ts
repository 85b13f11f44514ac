/** AccountRepo: accounts, their default mailboxes, and addresses that are issued only once. */
import type {
  AccountChanges,
  AccountEvent,
  AccountRecord,
  AccountRepo,
  DirectoryQuery,
  NewAccount,
  NewAccountEvent,
} from '../types';
import { DEFAULT_MAILBOXES } from '../types';
import { ConflictError } from '../../errors';
import { AccountNotFound, InvalidStoreInput } from '../errors';
import { ACCOUNT_EVENT_COLUMNS, insertAccountEvent } from './account-events';
import { durable, type StoreContext } from './context';
import { newId } from './ids';
import { insertMailbox } from './mailbox-writes';
import { toAccount, toAccountEvent, type AccountEventRow, type AccountRow } from './rows';
import { foldText, registerTextFold } from './text-fold';

function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  if (a.length === 0 || !a.includes('@')) throw new InvalidStoreInput(`invalid address ${JSON.stringify(address)}`);
  return a;
}

function assertQuota(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidStoreInput(`invalid quota ${String(bytes)}`);
}

export class EmbeddedAccountRepo implements AccountRepo {
  constructor(private readonly ctx: StoreContext) {
    registerTextFold(ctx.db);
  }

  async create(input: NewAccount, event?: { actor: string; at?: Date }): Promise<AccountRecord> {
    const address = normalizeAddress(input.address);
    assertQuota(input.quotaBytes);
    const { db } = this.ctx;
    return this.ctx.writer.submit({ run: () => {
      if (db.get('SELECT 1 FROM issued_addresses WHERE address = ?', address)) {
        throw new ConflictError(`address ${address} is already issued`);
      }
      // an operator login spelled like an address would make logins ambiguous
      if (db.get('SELECT 1 FROM operators WHERE login = ?', address)) {
        throw new ConflictError(`${address} is already an operator login`);
      }
      const now = this.ctx.now().getTime();
      const id = newId(this.ctx.now());
      db.run(
        `INSERT INTO accounts (id, address, type, national_id, display_name, password_hash, receive_only, quota_bytes, state, created_at, listed, mersis)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        address,
        input.type,
        input.nationalId ?? null,
        input.displayName ?? null,
        input.passwordHash,
        input.receiveOnly ? 1 : 0,
        input.quotaBytes,
        input.state,
        now,
        input.listed ? 1 : 0,
        input.mersis ?? null,
      );
      db.run('INSERT INTO issued_addresses (address, account_id, issued_at) VALUES (?, ?, ?)', address, id, now);
      for (const m of DEFAULT_MAILBOXES) insertMailbox(this.ctx, id, m.path, m.specialUse);
      insertAccountEvent(this.ctx, id, {
        kind: 'created',
        actor: event?.actor ?? 'system',
        at: event?.at,
        details: { state: input.state, type: input.type, receiveOnly: input.receiveOnly, quotaBytes: input.quotaBytes },
      });
      return toAccount(db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id)!);
    } });
  }

  async update(id: string, changes: AccountChanges, event?: NewAccountEvent): Promise<AccountRecord> {
    if (changes.quotaBytes !== undefined) assertQuota(changes.quotaBytes);
    const { db } = this.ctx;
    return this.ctx.writer.submit({ run: () => {
      const row = db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id);
      if (!row) throw new AccountNotFound(id);
      db.run(
        `UPDATE accounts SET state = ?, quota_bytes = ?, password_hash = ?, display_name = ?, national_id = ?, receive_only = ?,
           closed_at = ?, listed = ?, mersis = ?
         WHERE id = ?`,
        changes.state ?? row.state,
        changes.quotaBytes ?? row.quota_bytes,
        changes.passwordHash ?? row.password_hash,
        changes.displayName !== undefined ? changes.displayName : row.display_name,
        changes.nationalId !== undefined ? changes.nationalId : row.national_id,
        changes.receiveOnly !== undefined ? (changes.receiveOnly ? 1 : 0) : row.receive_only,
        changes.closedAt !== undefined ? (changes.closedAt === null ? null : changes.closedAt.getTime()) : row.closed_at,
        changes.listed !== undefined ? (changes.listed ? 1 : 0) : row.listed,
        changes.mersis !== undefined ? changes.mersis : row.mersis,
        id,
      );
      if (event) insertAccountEvent(this.ctx, id, event);
      return toAccount(db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id)!);
    } });
  }

  async history(accountId: string): Promise<AccountEvent[]> {
    await durable(this.ctx);
    return this.ctx.db
      .all<AccountEventRow>(`SELECT ${ACCOUNT_EVENT_COLUMNS} FROM account_events WHERE account_id = ? ORDER BY seq`, accountId)
      .map(toAccountEvent);
  }

  async eventDocument(seq: number): Promise<Buffer | undefined> {
    await durable(this.ctx);
    return this.ctx.db.get<{ document: Buffer | null }>('SELECT document FROM account_events WHERE seq = ?', seq)?.document ?? undefined;
  }

  async eventsSince(seq: number, limit = 1000): Promise<AccountEvent[]> {
    await durable(this.ctx);
    return this.ctx.db
      .all<AccountEventRow>(`SELECT ${ACCOUNT_EVENT_COLUMNS} FROM account_events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
      .map(toAccountEvent);
  }

  async lastEventSeq(): Promise<number> {
    await durable(this.ctx);
    return this.ctx.db.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM account_events')?.seq ?? 0;
  }

  async listedAccounts(query: DirectoryQuery, limit: number): Promise<AccountRecord[]> {
    const listed = "SELECT * FROM accounts WHERE listed = 1 AND state = 'active'";
    const { db } = this.ctx;
    await durable(this.ctx);
    let rows: AccountRow[];
    if ('address' in query) rows = db.all<AccountRow>(`${listed} AND address = ? LIMIT ?`, query.address.trim().toLowerCase(), limit);
    else if ('mersis' in query) rows = db.all<AccountRow>(`${listed} AND mersis = ? ORDER BY address LIMIT ?`, query.mersis.trim(), limit);
    else {
      const needle = foldText(query.name.trim());
      if (!needle) return [];
      rows = db.all<AccountRow>(
        `${listed} AND (instr(kep_fold(coalesce(display_name, '')), ?) > 0 OR instr(address, ?) > 0) ORDER BY address LIMIT ?`,
        needle,
        needle,
        limit,
      );
    }
    return rows.map(toAccount);
  }

  async getById(id: string): Promise<AccountRecord | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id);
    return row && toAccount(row);
  }

  async getByAddress(address: string): Promise<AccountRecord | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE address = ?', address.trim().toLowerCase());
    return row && toAccount(row);
  }

  async list(): Promise<AccountRecord[]> {
    await durable(this.ctx);
    return this.ctx.db.all<AccountRow>('SELECT * FROM accounts ORDER BY address').map(toAccount);
  }

  async usage(accountId: string): Promise<number> {
    await durable(this.ctx);
    const row = this.ctx.db.get<{ used_bytes: number }>('SELECT used_bytes FROM accounts WHERE id = ?', accountId);
    if (!row) throw new AccountNotFound(accountId);
    return row.used_bytes;
  }
}
