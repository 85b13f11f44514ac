import type { Command } from 'commander';
import { initDataDir } from '../init';
import type { CliIo } from '../io';

export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('create a data directory with kepd.toml and a development PKI (never overwrites keys)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--domain <domain>', "this provider's KEP domain")
    .option('--name <name>', 'provider name shown in evidence and messages')
    .action(async (opts: { data: string; domain: string; name?: string }) => {
      const r = await initDataDir(opts.data, opts.domain, opts.name);
      io.out(`data directory: ${r.dataDir}\n`);
      io.out(r.configCreated ? `created kepd.toml (domain ${r.domain})\n` : `kept existing kepd.toml (domain ${r.domain})\n`);
      io.out(r.pkiCreated.length ? `created ${r.pkiCreated.length} PKI files under pki/\n` : 'development PKI already complete\n');
    });
}
