import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { Daemon } from '../../daemon/daemon';
import { createLogger } from '../../log';
import type { CliIo } from '../io';

export function registerStartCommand(program: Command, _io: CliIo): void {
  program
    .command('start')
    .description('run the daemon in the foreground (JSON logs on stdout); SIGTERM drains and exits 0')
    .requiredOption('--data <dir>', 'data directory')
    .action(async (opts: { data: string }) => {
      const config = loadConfig(opts.data);
      const logger = createLogger({ level: config.log.level });
      const daemon = await Daemon.start(config, logger);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          logger.info({ signal }, 'draining');
          daemon.stop().then(
            () => {
              logger.info('stopped');
              resolve();
            },
            (err: unknown) => {
              logger.error({ err }, 'stop failed');
              resolve();
            },
          );
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
