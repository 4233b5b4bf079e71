// `govern revoke JTI…`: revokes authorization artifacts by id; `govern verify` refuses them.
import type { Command } from 'commander';
import { fileStateStores } from '../../artifact/replay.js';
import { CliError } from '../errors.js';

export const DEFAULT_STATE_DIR = '.govern';

export function registerRevoke(program: Command): void {
  program
    .command('revoke')
    .argument('<jti...>', 'artifact ids (the jti claim) to revoke')
    .description(
      'Revoke authorization artifacts: verification refuses a revoked jti (JTI_REVOKED).\n' +
        'Example: govern revoke 3q2-7wEb0rR4XCuQmD0kgA',
    )
    .option('--state-dir <dir>', 'folder holding the revocation list and the replay store', DEFAULT_STATE_DIR)
    .action(async (jtis: string[], opts: { stateDir: string }) => {
      const { revocations } = fileStateStores(opts.stateDir);
      for (const jti of jtis) {
        try {
          await revocations.revoke(jti);
        } catch (err) {
          throw new CliError(`cannot revoke ${JSON.stringify(jti)}: ${(err as Error).message}`);
        }
        process.stdout.write(`revoked ${jti}\n`);
      }
    });
}
