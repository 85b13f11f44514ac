/**
 * The `kepd` command line (interface.md "Commands"). Thin: parses, calls a module, prints.
 * Exit codes: 0 ok, 1 failure (e.g. an invalid evidence), 2 bad input or unusable data.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, ConflictError, NotFoundError, UsageError } from '../errors';
import { CertificateFormatError, KeyFileError, NotACaCertificateError } from '../pki/errors';
import { registerAccountCommands } from './commands/account';
import { registerDirectoryCommands } from './commands/directory';
import { registerEvidenceCommands } from './commands/evidence';
import { registerInitCommand } from './commands/init';
import { registerOperatorCommands } from './commands/operator';
import { registerPkiCommands } from './commands/pki';
import { registerStartCommand } from './commands/start';
import { registerTrustCommands } from './commands/trust';
import type { CliIo } from './io';
import { processIo } from './io';

export function buildProgram(io: CliIo): Command {
  const program = new Command('kepd')
    .description('kepd — KEP (registered e-mail, ETSI TS 102 640 REM) provider daemon')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  registerInitCommand(program, io);
  registerStartCommand(program, io);
  registerAccountCommands(program, io);
  registerOperatorCommands(program, io);
  registerDirectoryCommands(program, io);
  registerTrustCommands(program, io);
  registerPkiCommands(program, io);
  registerEvidenceCommands(program, io);
  return program;
}

export function exitCodeFor(err: unknown): number {
  const badInput = [UsageError, ConfigError, ConflictError, NotFoundError, NotACaCertificateError, CertificateFormatError, KeyFileError];
  if (badInput.some((type) => err instanceof type)) return 2;
  return 1;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return io.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version print and exit 0; anything else is a usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    io.err(`kepd: ${(err as Error).message ?? String(err)}\n`);
    return exitCodeFor(err);
  }
}
