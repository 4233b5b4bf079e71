// `govern parse FILE`: prints a Rego module's syntax tree as JSON.
import { Option, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { parseModule } from '../../syntax/parser.js';
import { CliError } from '../errors.js';
import { formatErrors, readSource } from './check.js';

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('Parse a Rego file and print its syntax tree as JSON (exit 1 on syntax errors, printed like `govern check`).')
    .argument('<file>', 'the Rego file')
    .option('--v0-compatible', 'read the source as Rego v0')
    .addOption(new Option('--format <format>', 'json: one line; pretty: indented').choices(['json', 'pretty']).default('json'))
    .addHelpText(
      'after',
      "\nExamples:\n  govern parse authz.rego --format pretty\n  govern parse authz.rego | jq '.rules[0].head'\n  govern parse legacy.rego --v0-compatible",
    )
    .action((file: string, opts: { v0Compatible?: boolean; format: string }) => {
      if (!existsSync(file)) throw new CliError(`no such file: ${file}`);
      const source = readSource(file);
      const result = parseModule(source.text, file, { regoVersion: opts.v0Compatible ? 'v0' : 'v1' });
      if (result.errors.length > 0 || !result.value) {
        process.stderr.write(`${formatErrors(result.errors, [source])}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${JSON.stringify(result.value, null, opts.format === 'pretty' ? 2 : undefined)}\n`);
      process.exitCode = 0;
    });
}
