/** `kepd operator add|remove` (interface.md): authorised operators of legal-entity accounts. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { addOperator, removeOperator } from '../../accounts/operators';
import { resolveInData } from '../../config';
import { UsageError } from '../../errors';
import { fingerprint, parseCertificate } from '../../pki/certs';
import { TrustStore } from '../../pki/trust-store';
import { actorOf } from '../actor';
import type { CliIo } from '../io';
import { withStore } from '../store';

export function registerOperatorCommands(program: Command, io: CliIo): void {
  const operator = program.command('operator').description('authorised operators (işlem yetkilisi) of legal-entity accounts');

  operator
    .command('add <entity-address> <login>')
    .description('add an operator who logs in as LOGIN, acts for the entity and signs with the certificate PEM')
    .requiredOption('--data <dir>', 'data directory')
    .requiredOption('--password <pw>', "the operator's login password (SMTP/IMAP)")
    .requiredOption('--cert <pem>', "the operator's S/MIME signing certificate (PEM or DER)")
    .option('--national-id <n>', "the operator's TC kimlik no (default: the certificate's subject serialNumber)")
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (entity: string, login: string, opts: { data: string; password: string; cert: string; nationalId?: string; by?: string }) => {
      const actor = actorOf(opts.by);
      let certificate: Buffer;
      try {
        certificate = await readFile(opts.cert);
      } catch (e) {
        throw new UsageError(`cannot read the certificate ${opts.cert}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const added = await withStore(opts.data, async (store, config) => {
        const trust = new TrustStore(resolveInData(config.data_dir, config.pki.trust_dir));
        return addOperator(
          store,
          { entityAddress: entity, login, password: opts.password, certificate, nationalId: opts.nationalId },
          { trustAnchors: await trust.certificates(), at: new Date() },
          { actor },
        );
      });
      io.out(`operator ${added.login} added; certificate ${fingerprint(parseCertificate(added.certificateDer))}\n`);
    });

  operator
    .command('remove <entity-address> <login>')
    .description("end an operator's authorisation at once (open sessions are closed); the login is never reused")
    .requiredOption('--data <dir>', 'data directory')
    .option('--by <name>', 'who makes the change (default: cli:<os user>)')
    .action(async (entity: string, login: string, opts: { data: string; by?: string }) => {
      const actor = actorOf(opts.by);
      const removed = await withStore(opts.data, (store) => removeOperator(store, entity, login, { actor }));
      io.out(`operator ${removed.login} removed\n`);
    });
}
