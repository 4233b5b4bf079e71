// `govern keys generate`: a signing key pair for authorization artifacts (and bundle signatures).
// Writes the private JWK (mode 0600) and the public JWKS; never prints key material.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { writeKeyFiles, type ArtifactAlgorithm } from '../../artifact/keys.js';
import { CliError } from '../errors.js';

interface KeysOptions {
  outDir: string;
  private?: string;
  public?: string;
  alg: ArtifactAlgorithm;
  force?: boolean;
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Manage signing keys for authorization artifacts.\nExample: govern keys generate --out-dir keys');
  keys
    .command('generate')
    .description(
      'Generate a key pair: a private JWK (kept secret, mode 0600) and a public JWKS for verifiers.\n' +
        'The key id (kid) is the key\'s RFC 7638 thumbprint. Key material is never printed.\n' +
        'Example: govern keys generate --out-dir keys   (writes keys/govern.private.jwk, keys/govern.jwks.json)',
    )
    .option('--out-dir <dir>', 'folder for govern.private.jwk and govern.jwks.json', '.')
    .option('--private <file>', 'where to write the private JWK (overrides --out-dir)')
    .option('--public <file>', 'where to write the public JWKS (overrides --out-dir)')
    .addOption(new Option('--alg <alg>', 'signature algorithm').choices(['EdDSA', 'ES256']).default('EdDSA'))
    .action(async (opts: KeysOptions) => {
      const privatePath = opts.private ?? join(opts.outDir, 'govern.private.jwk');
      const publicPath = opts.public ?? join(opts.outDir, 'govern.jwks.json');
      if (existsSync(privatePath)) throw new CliError(`${privatePath} already exists; refusing to overwrite a private key`);
      try {
        mkdirSync(dirname(privatePath), { recursive: true });
        mkdirSync(dirname(publicPath), { recursive: true });
        const generated = await writeKeyFiles(privatePath, publicPath, opts.alg);
        process.stdout.write(`generated ${generated.alg} key ${generated.kid}\n  private key: ${privatePath}\n  public JWKS: ${publicPath}\n`);
      } catch (err) {
        throw new CliError(`cannot write keys: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    });
}
