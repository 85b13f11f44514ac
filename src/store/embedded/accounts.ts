/** AccountRepo: accounts, their default mailboxes, and addresses that are issued only once. */
import type { AccountChanges, AccountRecord, AccountRepo, NewAccount } from '../types';
import { DEFAULT_MAILBOXES } from '../types';
import { ConflictError } from '../../errors';
import { AccountNotFound, InvalidStoreInput } from '../errors';
import type { StoreContext } from './context';
import { newId } from './ids';
import { insertMailbox } from './mailbox-writes';
import { toAccount, type AccountRow } from './rows';

function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  if (a.length === 0 || !a.includes('@')) throw new InvalidStoreInput(`invalid address ${JSON.stringify(address)}`);
  return a;
}

function assertQuota(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidStoreInput(`invalid quota ${String(bytes)}`);
}

export class EmbeddedAccountRepo implements AccountRepo {
  constructor(private readonly ctx: StoreContext) {}

  async create(input: NewAccount): Promise<AccountRecord> {
    const address = normalizeAddress(input.address);
    assertQuota(input.quotaBytes);
    const { db } = this.ctx;
    return db.write(() => {
      if (db.get('SELECT 1 FROM issued_addresses WHERE address = ?', address)) {
        throw new ConflictError(`address ${address} is already issued`);
      }
      const now = this.ctx.now().getTime();
      const id = newId(this.ctx.now());
      db.run(
        `INSERT INTO accounts (id, address, type, national_id, display_name, password_hash, receive_only, quota_bytes, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      );
      db.run('INSERT INTO issued_addresses (address, account_id, issued_at) VALUES (?, ?, ?)', address, id, now);
      for (const m of DEFAULT_MAILBOXES) insertMailbox(this.ctx, id, m.path, m.specialUse);
      return toAccount(db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id)!);
    });
  }

  async update(id: string, changes: AccountChanges): Promise<AccountRecord> {
    if (changes.quotaBytes !== undefined) assertQuota(changes.quotaBytes);
    const { db } = this.ctx;
    return db.write(() => {
      const row = db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id);
      if (!row) throw new AccountNotFound(id);
      db.run(
        `UPDATE accounts SET state = ?, quota_bytes = ?, password_hash = ?, display_name = ?, national_id = ?, receive_only = ?
         WHERE id = ?`,
        changes.state ?? row.state,
        changes.quotaBytes ?? row.quota_bytes,
        changes.passwordHash ?? row.password_hash,
        changes.displayName !== undefined ? changes.displayName : row.display_name,
        changes.nationalId !== undefined ? changes.nationalId : row.national_id,
        changes.receiveOnly !== undefined ? (changes.receiveOnly ? 1 : 0) : row.receive_only,
        id,
      );
      return toAccount(db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id)!);
    });
  }

  async getById(id: string): Promise<AccountRecord | undefined> {
    const row = this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE id = ?', id);
    return row && toAccount(row);
  }

  async getByAddress(address: string): Promise<AccountRecord | undefined> {
    const row = this.ctx.db.get<AccountRow>('SELECT * FROM accounts WHERE address = ?', address.trim().toLowerCase());
    return row && toAccount(row);
  }

  async list(): Promise<AccountRecord[]> {
    return this.ctx.db.all<AccountRow>('SELECT * FROM accounts ORDER BY address').map(toAccount);
  }

  async usage(accountId: string): Promise<number> {
    const row = this.ctx.db.get<{ used_bytes: number }>('SELECT used_bytes FROM accounts WHERE id = ?', accountId);
    if (!row) throw new AccountNotFound(accountId);
    return row.used_bytes;
  }
}
