/** What `kepd account show` prints: the account, its operators and its history. */
import { closedAccessEnds, type AccessPolicy } from '../accounts/access';
import { sha256Hex } from '../common/hash';
import type { AccountRecord, JsonObject, MailStore } from '../store/types';

export interface OperatorInfo {
  login: string;
  name: string | null;
  nationalId: string | null;
  certificateSha256: string;
  addedAt: string;
  removedAt: string | null;
}

export interface HistoryInfo {
  at: string;
  event: string;
  by: string;
  details: JsonObject | null;
  documentSha256: string | null;
}

export interface AccountInfo {
  id: string;
  address: string;
  state: string;
  type: string;
  displayName: string | null;
  nationalId: string | null;
  mersis: string | null;
  receiveOnly: boolean;
  listed: boolean;
  quota: { usedBytes: number; limitBytes: number };
  closedAt: string | null;
  /** End of a closed account's read-only access. */
  readOnlyUntil: string | null;
  operators: OperatorInfo[];
  history: HistoryInfo[];
  createdAt: string;
}

export async function accountInfo(store: MailStore, a: AccountRecord, policy: AccessPolicy): Promise<AccountInfo> {
  const operators = await store.operators.list(a.id, { includeRemoved: true });
  const history = await store.accounts.history(a.id);
  return {
    id: a.id,
    address: a.address,
    state: a.state,
    type: a.type,
    displayName: a.displayName ?? null,
    nationalId: a.nationalId ?? null,
    mersis: a.mersis ?? null,
    receiveOnly: a.receiveOnly,
    listed: a.listed,
    quota: { usedBytes: await store.accounts.usage(a.id), limitBytes: a.quotaBytes },
    closedAt: a.closedAt?.toISOString() ?? null,
    readOnlyUntil: closedAccessEnds(a, policy)?.toISOString() ?? null,
    operators: operators.map((o) => ({
      login: o.login,
      name: o.name ?? null,
      nationalId: o.nationalId ?? null,
      certificateSha256: sha256Hex(o.certificateDer),
      addedAt: o.addedAt.toISOString(),
      removedAt: o.removedAt?.toISOString() ?? null,
    })),
    history: history.map((e) => ({
      at: e.at.toISOString(),
      event: e.kind,
      by: e.actor,
      details: e.details ?? null,
      documentSha256: e.documentSha256 ?? null,
    })),
    createdAt: a.createdAt.toISOString(),
  };
}

function describeDetails(d: JsonObject | null): string {
  if (!d) return '';
  return ' ' + Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

function operatorSummary(operators: OperatorInfo[]): string {
  if (!operators.length) return '-';
  const removed = operators.filter((o) => o.removedAt).length;
  return `${operators.length - removed} active${removed ? `, ${removed} removed` : ''}`;
}

export function formatAccountInfo(info: AccountInfo): string {
  const state =
    info.state === 'closed' && info.readOnlyUntil ? `closed since ${info.closedAt ?? '?'} (read-only until ${info.readOnlyUntil})` : info.state;
  const lines = [
    `address:      ${info.address}`,
    `id:           ${info.id}`,
    `state:        ${state}`,
    `type:         ${info.type}${info.receiveOnly ? ' (receive-only)' : ''}`,
    `name:         ${info.displayName ?? '-'}`,
    `national id:  ${info.nationalId ?? '-'}`,
    ...(info.type === 'entity' ? [`mersis:       ${info.mersis ?? '-'}`] : []),
    `directory:    ${info.listed ? 'listed' : 'not listed'}`,
    `quota:        ${info.quota.usedBytes} of ${info.quota.limitBytes} bytes used`,
    `operators:    ${operatorSummary(info.operators)}`,
    ...info.operators.map(
      (o) =>
        `  ${o.login}${o.name ? ` (${o.name})` : ''}${o.nationalId ? ` national id ${o.nationalId}` : ''}, certificate sha256 ${o.certificateSha256}, added ${o.addedAt}` +
        (o.removedAt ? `, removed ${o.removedAt}` : ''),
    ),
    `created:      ${info.createdAt}`,
    'history:',
    ...info.history.map((h) => `  ${h.at}  ${h.event} by ${h.by}${describeDetails(h.details)}${h.documentSha256 ? ` document sha256=${h.documentSha256}` : ''}`),
    '',
  ];
  return lines.join('\n');
}
