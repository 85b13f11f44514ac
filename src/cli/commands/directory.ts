/**
 * `kepd directory lookup|check` (interface.md) and a person's opt-in: the KEP directory
 * (rehber). Unlisted persons and closed accounts look exactly like addresses nobody holds.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { checkAddresses, lookup, type DirectoryEntry } from '../../accounts/directory';
import { setListed } from '../../accounts/lifecycle';
import { UsageError } from '../../errors';
import { actorOf } from '../actor';
import { printJson, type CliIo } from '../io';
import { withStore } from '../store';

function entryLine(e: DirectoryEntry): string {
  return [e.address, e.type, e.name ?? '-', ...(e.mersis ? [`MERSIS ${e.mersis}`] : [])].join('\t');
}

export function registerDirectoryCommands(program: Command, io: CliIo): void {
  const directory = program.command('directory').description('the KEP directory (rehber): listed accounts only');

  directory
    .command('lookup <query>')
    .description('find listed accounts by KEP address, MERSIS number (16 digits) or part of a name; exit 1 when none')
    .requiredOption('--data <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(async (query: string, opts: { data: string; json?: boolean }) => {
      const entries = await withStore(opts.data, (store) => lookup(store, query));
      if (opts.json) printJson(io, entries);
      else io.out(entries.length ? entries.map(entryLine).join('\n') + '\n' : 'no listed KEP account matches\n');
      if (!entries.length) io.exitCode = 1;
    });

  directory
    .command('check <file>')
    .description('check addresses, one a line: listed, not listed or invalid (tab-separated; - reads stdin)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { data: string; json?: boolean }) => {
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const results = await withStore(opts.data, (store) => checkAddresses(store, text.split(/\r?\n/)));
      if (opts.json) return printJson(io, results);
      io.out(results.map((r) => [r.input, r.status, ...(r.detail ? [r.detail] : [])].join('\t') + '\n').join(''));
    });

  for (const [name, listed] of [['opt-in', true], ['opt-out', false]] as const) {
    directory
      .command(`${name} <address>`)
      .description(listed ? "list a person's account in the directory (at the holder's request)" : "remove a person's account from the directory")
      .requiredOption('--data <dir>', 'data directory')
      .option('--by <name>', 'who makes the change (default: cli:<os user>)')
      .action(async (address: string, opts: { data: string; by?: string }) => {
        const actor = actorOf(opts.by);
        const account = await withStore(opts.data, (store) => setListed(store, address, listed, { actor }));
        io.out(`${account.address} is ${account.listed ? 'listed' : 'not listed'} in the KEP directory\n`);
      });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
