import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NotFoundError } from '../../errors';
import { bareMessageId } from '../../engine/ids';
import { ReasonCode } from '../../evidence/reasons';
import { printJson, type CliIo } from '../io';
import { withStore } from '../store';
import { verifyEvidenceFile, type VerifyFileOptions } from '../verify-file';

export function registerEvidenceCommands(program: Command, io: CliIo): void {
  const evidence = program.command('evidence').description('the evidence archive');

  evidence
    .command('list')
    .description('evidence records, newest first')
    .requiredOption('--data <dir>', 'data directory')
    .option('--message <id>', 'only evidence about this provider message id')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'machine-readable output')
    .action(async (opts: { data: string; message?: string; limit: string; json?: boolean }) => {
      const rows = await withStore(opts.data, (store) =>
        store.evidence.list({ messageId: opts.message ? bareMessageId(opts.message) : undefined, limit: Number(opts.limit) || 100 }),
      );
      if (opts.json) {
        return printJson(
          io,
          rows.map((r) => ({ ...r, eventTime: r.eventTime.toISOString(), createdAt: r.createdAt.toISOString() })),
        );
      }
      if (rows.length === 0) return io.out('no evidence\n');
      for (const r of rows) {
        const reason = r.reasonCode ? ` reason=${ReasonCode[r.reasonCode] ?? r.reasonCode}` : '';
        const rcpt = r.recipientIndex ? ` recipient=${r.recipientIndex}` : '';
        io.out(`${r.eventTime.toISOString()}  ${r.type}/${r.event}  message=${r.messageId ?? '-'}${rcpt}${reason}  ${r.id}\n`);
      }
    });

  evidence
    .command('show <id>')
    .description('write one archived evidence XML exactly as issued (to stdout, or --out FILE)')
    .requiredOption('--data <dir>', 'data directory')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (id: string, opts: { data: string; out?: string }) => {
      const found = await withStore(opts.data, (store) => store.evidence.get(id.trim()));
      if (!found) throw new NotFoundError(`no evidence ${id} in the archive`);
      if (opts.out) writeFileSync(opts.out, found.xml);
      else if (io.outBytes) io.outBytes(found.xml);
      else io.out(found.xml.toString('utf8'));
    });

  evidence
    .command('verify <file>')
    .description('verify an evidence XML or a REM message (.eml); exit 0 valid, 1 invalid, 2 unusable input')
    .option('--data <dir>', 'data directory (its CA and the configured providers are trusted)')
    .option('--ca <pem>', 'additional trusted CA certificate(s) (PEM)')
    .option('--original <eml>', 'the original message, to check the digest binding')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: VerifyFileOptions & { json?: boolean }) => {
      const result = await verifyEvidenceFile(file, opts);
      if (opts.json) printJson(io, result);
      else {
        for (const item of result.items) {
          io.out(`${item.valid ? 'VALID  ' : 'INVALID'} ${item.what}\n`);
          for (const d of item.details) io.out(`        ${d}\n`);
          for (const p of item.problems) io.out(`  problem: ${p}\n`);
        }
        io.out(result.valid ? 'verification: OK\n' : 'verification: FAILED\n');
      }
      if (!result.valid) io.exitCode = 1;
    });
}
