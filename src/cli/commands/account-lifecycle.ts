/**
 * `kepd account activate|close|reopen|quota` (interface.md): the lifecycle of kep-rem.md §8.2
 * and the quota, each change written to the account's history with who made it.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { closedAccessEnds } from '../../accounts/access';
import { verifyAgreement } from '../../accounts/agreement';
import { activateAccount, closeAccount, nextState, reopenAccount, requireAccount, setQuota, type QuotaChange } from '../../accounts/lifecycle';
import { resolveInData } from '../../config';
import { UsageError } from '../../errors';
import { TrustStore } from '../../pki/trust-store';
import { actorOf } from '../actor';
import type { CliIo } from '../io';
import { withStore } from '../store';

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read the ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function registerLifecycleCommands(account: Command, io: CliIo, parseBytes: (value: string) => number): void {
  account
    .command('activate <address>')
    .description("activate an account awaiting activation with the holder's signed agreement (S/MIME or CMS)")
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--agreement <file>', 'the signed agreement: S/MIME message, or CMS SignedData (DER or PEM)')
    .option('--content <file>', 'the signed document, when --agreement is a detached CMS signature (.p7s)')
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (address: string, opts: { data: string; agreement: string; content?: string; by?: string }) => {
      const actor = actorOf(opts.by);
      const bytes = await readInput(opts.agreement, 'agreement');
      const content = opts.content ? await readInput(opts.content, 'signed document') : undefined;
      const activated = await withStore(opts.data, async (store, config) => {
        const holder = await requireAccount(store, address);
        nextState(holder, 'activate');
        const trust = new TrustStore(resolveInData(config.data_dir, config.pki.trust_dir));
        const agreement = await verifyAgreement(
          { bytes, content },
          { trustAnchors: await trust.certificates(), at: new Date(), holder: { address: holder.address, nationalId: holder.nationalId } },
        );
        return activateAccount(store, holder.address, agreement, { actor });
      });
      io.out(`activated ${activated.address}\n`);
    });

  account
    .command('close <address>')
    .description('close an account: no sending, incoming mail not delivered, read-only access for accounts.closed_access_days')
    .requiredOption('--data <dir>', 'data directory')
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (address: string, opts: { data: string; by?: string }) => {
      const actor = actorOf(opts.by);
      const { closed, until } = await withStore(opts.data, async (store, config) => {
        const closed = await closeAccount(store, address, { actor });
        return { closed, until: closedAccessEnds(closed, { closedAccessDays: config.accounts.closed_access_days }) };
      });
      io.out(`closed ${closed.address}; read-only access until ${until?.toISOString() ?? '-'}\n`);
    });

  account
    .command('reopen <address>')
    .description('reopen a closed account for its holder (the same address)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (address: string, opts: { data: string; by?: string }) => {
      const actor = actorOf(opts.by);
      const reopened = await withStore(opts.data, (store) => reopenAccount(store, address, { actor }));
      io.out(`reopened ${reopened.address}\n`);
    });

  account
    .command('quota <address> <bytes>')
    .description("set the account's quota (e.g. 209715200 or 200MB), or add extra archive space with a leading + (e.g. +50MB)")
    .requiredOption('--data <dir>', 'data directory')
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (address: string, bytes: string, opts: { data: string; by?: string }) => {
      const actor = actorOf(opts.by);
      const text = bytes.trim();
      const change: QuotaChange = text.startsWith('+') ? { addBytes: parseBytes(text.slice(1)) } : { bytes: parseBytes(text) };
      const { account, used } = await withStore(opts.data, async (store) => {
        const updated = await setQuota(store, address, change, { actor });
        return { account: updated, used: await store.accounts.usage(updated.id) };
      });
      io.out(`quota of ${account.address}: ${account.quotaBytes} bytes (${used} used)\n`);
    });
}
