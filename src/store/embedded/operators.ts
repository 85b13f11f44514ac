/** OperatorRepo: authorised operators of entity accounts, with their history entries. */
import type { NewOperator, OperatorRecord, OperatorRepo } from '../types';
import { ConflictError, NotFoundError } from '../../errors';
import { InvalidStoreInput } from '../errors';
import { insertAccountEvent } from './account-events';
import { durable, type StoreContext } from './context';
import { newId } from './ids';
import { toOperator, type OperatorRow } from './rows';
import { requireAccount } from './account-exists';

function normalizeLogin(login: string): string {
  const l = login.trim().toLowerCase();
  if (l.length === 0) throw new InvalidStoreInput('an operator login must not be empty');
  return l;
}

export class EmbeddedOperatorRepo implements OperatorRepo {
  constructor(private readonly ctx: StoreContext) {}

  async add(input: NewOperator, event: { actor: string; at?: Date }): Promise<OperatorRecord> {
    const login = normalizeLogin(input.login);
    if (input.certificateDer.length === 0) throw new InvalidStoreInput('an operator needs a signing certificate');
    const { db } = this.ctx;
    return this.ctx.writer.submit({ run: () => {
      requireAccount(this.ctx, input.accountId);
      if (db.get('SELECT 1 FROM operators WHERE login = ?', login)) throw new ConflictError(`operator login ${login} is already in use (logins are never reused)`);
      if (db.get('SELECT 1 FROM issued_addresses WHERE address = ?', login)) throw new ConflictError(`${login} is a KEP address and cannot be an operator login`);
      const at = event.at ?? this.ctx.now();
      const id = newId(at);
      db.run(
        `INSERT INTO operators (id, account_id, login, password_hash, certificate, national_id, name, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        input.accountId,
        login,
        input.passwordHash,
        input.certificateDer,
        input.nationalId ?? null,
        input.name ?? null,
        at.getTime(),
      );
      insertAccountEvent(this.ctx, input.accountId, { kind: 'operator-added', actor: event.actor, at, details: { login } });
      return toOperator(db.get<OperatorRow>('SELECT * FROM operators WHERE id = ?', id)!);
    } });
  }

  async remove(accountId: string, login: string, event: { actor: string; at?: Date }): Promise<OperatorRecord> {
    const name = normalizeLogin(login);
    const { db } = this.ctx;
    return this.ctx.writer.submit({ run: () => {
      const row = db.get<OperatorRow>('SELECT * FROM operators WHERE account_id = ? AND login = ? AND removed_at IS NULL', accountId, name);
      if (!row) throw new NotFoundError(`no active operator ${name} for this account`);
      const at = event.at ?? this.ctx.now();
      db.run('UPDATE operators SET removed_at = ? WHERE id = ?', at.getTime(), row.id);
      insertAccountEvent(this.ctx, accountId, { kind: 'operator-removed', actor: event.actor, at, details: { login: name } });
      return toOperator(db.get<OperatorRow>('SELECT * FROM operators WHERE id = ?', row.id)!);
    } });
  }

  async getByLogin(login: string): Promise<OperatorRecord | undefined> {
    await durable(this.ctx);
    const row = this.ctx.db.get<OperatorRow>('SELECT * FROM operators WHERE login = ?', login.trim().toLowerCase());
    return row && toOperator(row);
  }

  async list(accountId: string, options: { includeRemoved?: boolean } = {}): Promise<OperatorRecord[]> {
    const sql = options.includeRemoved
      ? 'SELECT * FROM operators WHERE account_id = ? ORDER BY added_at, id'
      : 'SELECT * FROM operators WHERE account_id = ? AND removed_at IS NULL ORDER BY added_at, id';
    await durable(this.ctx);
    return this.ctx.db.all<OperatorRow>(sql, accountId).map(toOperator);
  }
}
