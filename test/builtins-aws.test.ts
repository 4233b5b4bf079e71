// providers.aws.sign_req against OPA's conformance cases (signatures are deterministic given the time).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createHostBuiltins } from '../src/builtins/index.js';
import { CONFORMANCE_DIR, parseRegoLiteral } from './builtins-cases.js';

const sign = createHostBuiltins({ strict: true })['providers.aws.sign_req']!;

/** `name := literal` definitions at the top level of a module (literals may span lines). */
function constants(module: string): Map<string, unknown> {
  const env = new Map<string, unknown>();
  const defs = [...module.matchAll(/^([a-z_]+) := /gm)];
  defs.forEach((d, i) => {
    const end = i + 1 < defs.length ? defs[i + 1]!.index! : module.search(/^p if/m);
    const lit = parseRegoLiteral(module.slice(d.index! + d[0].length, end).trim());
    if (lit) env.set(d[1]!, lit.value);
  });
  return env;
}

describe('conformance: providers-aws', () => {
  const doc = parseYaml(readFileSync(join(CONFORMANCE_DIR, 'providers-aws', 'aws-sign_req.yaml'), 'utf8')) as { cases: any[] };
  for (const c of doc.cases) {
    it(c.note, () => {
      const env = constants(c.modules[0]);
      const call = /providers\.aws\.sign_req\((\w+), (\w+), (\d+)\)/.exec(c.modules[0])!;
      const args = [env.get(call[1]!), env.get(call[2]!), Number(call[3])];
      if (c.want_error) {
        expect(() => sign(...args)).toThrow(c.want_error);
        return;
      }
      expect(env.has('expected')).toBe(true);
      expect(sign(...args)).toEqual(env.get('expected'));
    });
  }
});

describe('providers.aws.sign_req errors', () => {
  it('names missing request fields', () => {
    expect(() => sign({ method: 'get' }, { aws_access_key: 'a', aws_secret_access_key: 'b', aws_service: 's3', aws_region: 'r' }, 0)).toThrow(
      'eval_builtin_error: providers.aws.sign_req: missing required request parameters(s): {"url"}',
    );
  });
});
