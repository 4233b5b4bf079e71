// `govern verify ARTIFACT --action A --resource R [--args JSON] --jwks FILE`: the executor's check
// right before it acts. Exit 0 only when the artifact proves exactly this action was allowed by a
// pinned policy, recently, and was not used or revoked; exit 3 with the reason code otherwise.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fileStateStores } from '../../artifact/replay.js';
import { verifyArtifact } from '../../artifact/verify.js';
import { isHashPinned, PinsError, readPins } from '../../bundle/pins.js';
import type { AuditRecord, RevocationSource } from '../../audit/index.js';
import { CliError } from '../errors.js';
import { EXIT_DENIED } from './authorize.js';
import { DEFAULT_STATE_DIR } from './revoke.js';

interface VerifyCliOptions {
  action: string;
  resource: string;
  args?: string;
  jwks: string;
  pins: string;
  environment?: string;
  issuer?: string;
  audience?: string;
  stateDir: string;
  consume: boolean;
  auditLog?: string;
}

/** The token from a file (raw JWS, or `govern authorize` output with an "artifact"), or the argument itself. */
export function readArtifact(argument: string): string {
  let text = argument;
  if (existsSync(argument)) {
    try {
      text = readFileSync(argument, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${argument}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else if (!argument.includes('.')) {
    throw new CliError(`no artifact file at ${argument}`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { artifact?: unknown };
      if (typeof parsed.artifact === 'string') return parsed.artifact;
    } catch {
      // fall through: reported as ARTIFACT_MALFORMED by verification
    }
    return '';
  }
  return trimmed;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('<artifact>', 'the artifact: a file with the JWS (or `govern authorize` output), or the JWS itself')
    .description(
      'Verify an authorization artifact right before executing, against exactly what is about to run.\n' +
        'Prints {"valid", "reason", …}; exit 0 when valid, 3 when rejected (reason code printed), 2 usage error.\n' +
        'Each verification uses the artifact up (single use), unless --no-consume.\n' +
        'Example: govern verify out.json --action shell.exec --resource ls --args \'{"argv":["ls","-la"]}\' --jwks keys/govern.jwks.json',
    )
    .requiredOption('--action <action>', 'the action about to be executed')
    .requiredOption('--resource <resource>', 'the resource it is executed on')
    .option('--args <json>', 'the exact arguments as JSON (default {})')
    .requiredOption('--jwks <file>', 'the issuer\'s public keys (JWKS from `govern keys generate`)')
    .option('--pins <file>', 'lock file listing the bundles this executor trusts', 'bundles/govern.lock')
    .option('--environment <sha256>', 'require this environment attestation digest')
    .option('--issuer <iss>', 'required issuer', 'govern')
    .option('--audience <aud>', 'required audience', 'govern-executor')
    .option('--state-dir <dir>', 'folder holding the replay store and the revocation list', DEFAULT_STATE_DIR)
    .option('--no-consume', 'check without using the artifact up (a dry run)')
    .option(
      '--audit-log <file>',
      'walk the artifact\'s lineage in this audit log: revoking an ancestor revokes it too (JTI_REVOKED).\n' +
        'Default: $GOVERN_AUDIT_LOG, else .govern/audit.log, when that file exists; without a log only the jti itself is checked.',
    )
    .action(async (argument: string, opts: VerifyCliOptions) => {
      const token = readArtifact(argument);
      let args: unknown = {};
      if (opts.args !== undefined) {
        try {
          args = JSON.parse(opts.args);
        } catch (err) {
          throw new CliError(`--args is not valid JSON: ${(err as Error).message}`);
        }
      }
      if (!existsSync(opts.jwks)) throw new CliError(`no JWKS file at ${opts.jwks}`);
      let jwks: { keys: [] };
      try {
        jwks = JSON.parse(readFileSync(opts.jwks, 'utf8'));
        if (!Array.isArray(jwks.keys)) throw new Error('no "keys" array');
      } catch (err) {
        throw new CliError(`${opts.jwks} is not a JWKS: ${(err as Error).message}`);
      }
      if (!existsSync(opts.pins)) throw new CliError(`no lock file at ${opts.pins} (use --pins)`);
      let pins;
      try {
        pins = readPins(opts.pins);
      } catch (err) {
        if (err instanceof PinsError) throw new CliError(err.message);
        throw err;
      }
      const { replay, revocations: direct } = fileStateStores(opts.stateDir);
      let revocations: RevocationSource = direct;
      // The same default place as `govern audit`/`run`/`lineage`.
      const auditLog = opts.auditLog ?? (process.env.GOVERN_AUDIT_LOG || '.govern/audit.log');
      if (opts.auditLog !== undefined && !existsSync(auditLog)) throw new CliError(`no audit log at ${auditLog}`);
      if (existsSync(auditLog)) {
        // Read once: who was issued under whom, and what the log itself records as revoked.
        const { lineageRevocations, readLogLines } = await import('../../audit/index.js');
        const records = (await readLogLines(auditLog)).map((line, i) => {
          try {
            return JSON.parse(line) as AuditRecord;
          } catch {
            throw new CliError(`${auditLog}:${i + 1}: not a JSON record (run \`govern audit verify\`)`);
          }
        });
        revocations = lineageRevocations(direct, { read: async () => records });
      }
      const result = await verifyArtifact(
        token,
        { action: opts.action, resource: opts.resource, args },
        {
          jwks,
          isBundlePinned: (sha) => isHashPinned(pins, sha),
          environment: opts.environment,
          issuer: opts.issuer,
          audience: opts.audience,
          revocations,
          replay: opts.consume ? replay : undefined,
        },
      );
      const output = result.ok
        ? { valid: true, reason: result.reason, jti: result.claims.jti, sub: result.claims.sub, scope: result.claims.scope, exp: result.claims.exp }
        : { valid: false, reason: result.reason, detail: result.detail, ...(result.jti ? { jti: result.jti } : {}) };
      process.stdout.write(JSON.stringify(output, null, 2) + '\n');
      if (!result.ok) process.stderr.write(`govern: artifact rejected: ${result.reason}\n`);
      process.exitCode = result.ok ? 0 : EXIT_DENIED;
    });
}
