import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseAddress } from '../../accounts/address';
import { loadConfig, resolveInData } from '../../config';
import { UsageError } from '../../errors';
import { issueUserCertificate } from '../../pki/user-cert';
import type { CliIo } from '../io';

export function registerPkiCommands(program: Command, io: CliIo): void {
  const pki = program.command('pki').description('development PKI');
  pki
    .command('issue-user <address>')
    .description('development only: issue an S/MIME signing certificate for ADDRESS from the dev CA (cert.pem, key.pem)')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--out <dir>', 'where to write cert.pem and key.pem')
    .option('--name <name>', 'subject common name')
    .option('--national-id <n>', 'subject serialNumber (TC kimlik no)')
    .option('--key-type <type>', 'ec or rsa', 'ec')
    .action(async (address: string, opts: { data: string; out: string; name?: string; nationalId?: string; keyType: string }) => {
      if (opts.keyType !== 'ec' && opts.keyType !== 'rsa') throw new UsageError('--key-type must be ec or rsa');
      const config = loadConfig(opts.data);
      const addr = parseAddress(address).address;
      const caDir = resolveInData(config.data_dir, 'pki');
      let ca: { certPem: string; keyPem: string };
      try {
        ca = {
          certPem: readFileSync(resolveInData(config.data_dir, config.pki.ca), 'utf8'),
          keyPem: readFileSync(join(caDir, 'ca.key.pem'), 'utf8'),
        };
      } catch (e) {
        throw new UsageError(`the development CA is not available in ${caDir}: ${(e as Error).message}`);
      }
      const issued = await issueUserCertificate(ca, {
        address: addr,
        name: opts.name,
        nationalId: opts.nationalId,
        keyType: opts.keyType,
      });
      mkdirSync(opts.out, { recursive: true });
      writeFileSync(join(opts.out, 'cert.pem'), issued.certPem, { mode: 0o644 });
      writeFileSync(join(opts.out, 'key.pem'), issued.keyPem, { mode: 0o600 });
      io.out(`wrote ${join(opts.out, 'cert.pem')} and ${join(opts.out, 'key.pem')} for ${addr}\n`);
    });
}
