import type { Command } from 'commander';
import { createAccount } from '../../accounts/service';
import { parseAddress } from '../../accounts/address';
import { NotFoundError, UsageError } from '../../errors';
import type { AccountType } from '../../store/types';
import { accountInfo, formatAccountInfo } from '../account-info';
import { actorOf } from '../actor';
import { printJson, type CliIo } from '../io';
import { withStore } from '../store';
import { registerLifecycleCommands } from './account-lifecycle';

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
    .description('create an active account (awaiting activation with --pending); prints its id')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--password <pw>', 'login password (SMTP/IMAP)')
    .option('--type <type>', 'person or entity', 'person')
    .option('--national-id <n>', 'TC kimlik no (person) or VKN/MERSIS (entity) that signing certificates carry')
    .option('--name <name>', 'display name of the holder')
    .option('--receive-only', 'may receive and read but never send')
    .option('--quota <bytes>', 'mailbox quota in bytes (e.g. 104857600 or 100MB)')
    .option('--pending', 'awaiting activation (kepd account activate with the signed agreement)')
    .option('--listed', "list a person in the KEP directory (legal entities always are)")
    .option('--mersis <n>', "a legal entity's MERSIS number (16 digits)")
    .option('--by <name>', 'who makes the change, for the account history (default: cli:<os user>)')
    .action(
      async (
        address: string,
        opts: {
          data: string;
          password: string;
          type: string;
          nationalId?: string;
          name?: string;
          receiveOnly?: boolean;
          quota?: string;
          pending?: boolean;
          listed?: boolean;
          mersis?: string;
          by?: string;
        },
      ) => {
        if (opts.type !== 'person' && opts.type !== 'entity') throw new UsageError(`--type must be person or entity, not "${opts.type}"`);
        const actor = actorOf(opts.by);
        const created = await withStore(opts.data, (store, config) =>
          createAccount(store, config.domain, config.quota.default_bytes, {
            address,
            password: opts.password,
            type: opts.type as AccountType,
            nationalId: opts.nationalId,
            displayName: opts.name,
            receiveOnly: opts.receiveOnly,
            quotaBytes: opts.quota ? parseBytes(opts.quota) : undefined,
            pending: opts.pending,
            listed: opts.listed,
            mersis: opts.mersis,
            actor,
          }),
        );
        io.out(`${created.id}\n`);
      },
    );

  account
    .command('show <address>')
    .description('state, type, quota used/limit, operators and the history of changes')
    .requiredOption('--data <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(async (address: string, opts: { data: string; json?: boolean }) => {
      const info = await withStore(opts.data, async (store, config) => {
        const a = await store.accounts.getByAddress(parseAddress(address).address);
        if (!a) throw new NotFoundError(`no account ${address}`);
        return accountInfo(store, a, { closedAccessDays: config.accounts.closed_access_days });
      });
      if (opts.json) return printJson(io, info);
      io.out(formatAccountInfo(info));
    });

  registerLifecycleCommands(account, io, parseBytes);
}
