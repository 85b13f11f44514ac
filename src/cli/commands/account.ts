import type { Command } from 'commander';
import { createAccount } from '../../accounts/service';
import { parseAddress } from '../../accounts/address';
import { NotFoundError, UsageError } from '../../errors';
import type { AccountType } from '../../store/types';
import { printJson, type CliIo } from '../io';
import { withStore } from '../store';

function parseBytes(value: string): number {
  const m = /^(\d+)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`"${value}" is not a size in bytes (e.g. 104857600 or 100MB)`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

export function registerAccountCommands(program: Command, io: CliIo): void {
  const account = program.command('account').description('KEP accounts');

  account
    .command('create <address>')
    .description('create an active account; prints its id')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--password <pw>', 'login password (SMTP/IMAP)')
    .option('--type <type>', 'person or entity', 'person')
    .option('--national-id <n>', 'TC kimlik no (person) or VKN/MERSIS (entity) that signing certificates carry')
    .option('--name <name>', 'display name of the holder')
    .option('--receive-only', 'may receive and read but never send')
    .option('--quota <bytes>', 'mailbox quota in bytes (e.g. 104857600 or 100MB)')
    .action(
      async (
        address: string,
        opts: { data: string; password: string; type: string; nationalId?: string; name?: string; receiveOnly?: boolean; quota?: string },
      ) => {
        if (opts.type !== 'person' && opts.type !== 'entity') throw new UsageError(`--type must be person or entity, not "${opts.type}"`);
        const created = await withStore(opts.data, (store, config) =>
          createAccount(store, config.domain, config.quota.default_bytes, {
            address,
            password: opts.password,
            type: opts.type as AccountType,
            nationalId: opts.nationalId,
            displayName: opts.name,
            receiveOnly: opts.receiveOnly,
            quotaBytes: opts.quota ? parseBytes(opts.quota) : undefined,
          }),
        );
        io.out(`${created.id}\n`);
      },
    );

  account
    .command('show <address>')
    .description('state, type, quota used/limit')
    .requiredOption('--data <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(async (address: string, opts: { data: string; json?: boolean }) => {
      const info = await withStore(opts.data, async (store) => {
        const a = await store.accounts.getByAddress(parseAddress(address).address);
        if (!a) throw new NotFoundError(`no account ${address}`);
        return {
          id: a.id,
          address: a.address,
          state: a.state,
          type: a.type,
          displayName: a.displayName ?? null,
          nationalId: a.nationalId ?? null,
          receiveOnly: a.receiveOnly,
          quota: { usedBytes: await store.accounts.usage(a.id), limitBytes: a.quotaBytes },
          operators: [] as string[],
          createdAt: a.createdAt.toISOString(),
        };
      });
      if (opts.json) return printJson(io, info);
      io.out(
        [
          `address:      ${info.address}`,
          `id:           ${info.id}`,
          `state:        ${info.state}`,
          `type:         ${info.type}${info.receiveOnly ? ' (receive-only)' : ''}`,
          `name:         ${info.displayName ?? '-'}`,
          `national id:  ${info.nationalId ?? '-'}`,
          `quota:        ${info.quota.usedBytes} of ${info.quota.limitBytes} bytes used`,
          `operators:    ${info.operators.length ? info.operators.join(', ') : '-'}`,
          `created:      ${info.createdAt}`,
          '',
        ].join('\n'),
      );
    });
}
