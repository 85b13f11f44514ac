import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, resolveInData } from '../../config';
import { UsageError } from '../../errors';
import { addTrustedCa } from '../../pki/trust-store';
import type { CliIo } from '../io';

export function registerTrustCommands(program: Command, io: CliIo): void {
  const trust = program.command('trust').description('CAs trusted for user S/MIME signatures');
  trust
    .command('add <pem>')
    .description('trust a CA certificate for user signatures (takes effect without restart)')
    .requiredOption('--data <dir>', 'data directory')
    .action(async (pem: string, opts: { data: string }) => {
      const config = loadConfig(opts.data);
      let bytes: Buffer;
      try {
        bytes = readFileSync(pem);
      } catch (e) {
        throw new UsageError(`cannot read ${pem}: ${(e as Error).message}`);
      }
      const added = await addTrustedCa(resolveInData(config.data_dir, config.pki.trust_dir), bytes);
      io.out(`trusted ${added.subject} (${added.file})\n`);
    });
}
