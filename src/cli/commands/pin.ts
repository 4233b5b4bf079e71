// `govern pin BUNDLE…`: records (or updates) each bundle's sha256 in its lock file, so governors
// only ever activate exactly these bytes.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultPinsPath, pinBundles, PinsError } from '../../bundle/pins.js';
import { CliError } from '../errors.js';

export function registerPin(program: Command): void {
  program
    .command('pin')
    .argument('<bundles...>', 'bundle files (.tar.gz) to pin')
    .description(
      'Pin bundles: write the sha256 of each bundle\'s bytes to the lock file (default: govern.lock\n' +
        'beside the bundle). A governor refuses a bundle whose bytes differ from its pin.\n' +
        'Example: govern pin bundles/agent.tar.gz   (updates bundles/govern.lock)',
    )
    .option('--pins <file>', 'lock file to update (default: govern.lock beside each bundle)')
    .action((bundles: string[], opts: { pins?: string }) => {
      for (const bundle of bundles) if (!existsSync(bundle)) throw new CliError(`bundle not found: ${bundle}`);
      const groups = new Map<string, string[]>();
      for (const bundle of bundles) {
        const pins = opts.pins ?? defaultPinsPath(bundle);
        groups.set(pins, [...(groups.get(pins) ?? []), bundle]);
      }
      for (const [pins, group] of groups) {
        try {
          for (const r of pinBundles(pins, group)) {
            process.stdout.write(`${r.changed ? 'pinned' : 'unchanged'} ${r.key} sha256:${r.sha256} (${pins})\n`);
          }
        } catch (err) {
          if (err instanceof PinsError) throw new CliError(err.message);
          throw new CliError(`cannot pin: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
    });
}
