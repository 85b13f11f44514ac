/** The login audit trail: append-only rows (triggers refuse UPDATE and DELETE). */
import type { LoginAuditEntry, LoginAuditLog, LoginOutcome, NewLoginAuditEntry } from '../types';
import { InvalidStoreInput } from '../errors';
import { durable, type StoreContext } from './context';
import { asStoreFailure } from './failures';

interface LoginAuditRow {
  seq: number;
  at: number;
  protocol: string;
  client: string;
  username: string;
  account_id: string | null;
  outcome: LoginOutcome;
  detail: string | null;
}

const OUTCOMES = new Set<LoginOutcome>(['success', 'failure', 'refused', 'lockout']);
/** Bounds what a client can make us store per attempt (names and addresses are short). */
const MAX_TEXT = 512;

function bounded(value: string, what: string): string {
  if (typeof value !== 'string') throw new InvalidStoreInput(`login audit ${what} is not text`);
  return value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;
}

function toEntry(row: LoginAuditRow): LoginAuditEntry {
  return {
    seq: row.seq,
    at: new Date(row.at),
    protocol: row.protocol,
    client: row.client,
    username: row.username,
    ...(row.account_id !== null ? { accountId: row.account_id } : {}),
    outcome: row.outcome,
    ...(row.detail !== null ? { detail: row.detail } : {}),
  };
}

export class EmbeddedLoginAuditLog implements LoginAuditLog {
  constructor(private readonly ctx: StoreContext) {}

  async append(entry: NewLoginAuditEntry): Promise<void> {
    if (!OUTCOMES.has(entry.outcome)) throw new InvalidStoreInput(`invalid login outcome ${String(entry.outcome)}`);
    try {
      await this.ctx.writer.submit({ run: () =>
        this.ctx.db.run(
          'INSERT INTO login_audit (at, protocol, client, username, account_id, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
          entry.at.getTime(),
          bounded(entry.protocol, 'protocol'),
          bounded(entry.client, 'client'),
          bounded(entry.username, 'username'),
          entry.accountId ?? null,
          entry.outcome,
          entry.detail === undefined ? null : bounded(entry.detail, 'detail'),
        ),
      });
    } catch (err) {
      throw asStoreFailure(err);
    }
  }

  async list(filter: { username?: string; client?: string; since?: Date; limit?: number } = {}): Promise<LoginAuditEntry[]> {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.username !== undefined) {
      where.push('username = ?');
      params.push(filter.username);
    }
    if (filter.client !== undefined) {
      where.push('client = ?');
      params.push(filter.client);
    }
    if (filter.since !== undefined) {
      where.push('at >= ?');
      params.push(filter.since.getTime());
    }
    await durable(this.ctx);
    const sql = `SELECT * FROM login_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return this.ctx.db.all<LoginAuditRow>(sql, ...params, filter.limit ?? -1).map(toEntry);
  }
}
