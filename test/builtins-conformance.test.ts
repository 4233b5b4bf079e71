// Host builtins against OPA's answers: every conformance case that reduces to one direct call, with
// the arguments as a govern module hands them over (sets marked, see src/wasm/govern-abi.ts).
import { describe, expect, it } from 'vitest';
import { createHostBuiltins, HOST_BUILTIN_NAMES, hostResultValue } from '../src/builtins/index.js';
import { collectDirectCases, type DirectCase } from './builtins-cases.js';

const FIXED_NOW = 1_700_000_000_123_456_789n;

const FAMILIES: { folders: string[]; prefixes: string[]; min: number }[] = [
  { folders: ['units'], prefixes: ['units.'], min: 100 },
  { folders: ['regexmatch', 'regexfind', 'regexfindallstringsubmatch', 'regexreplace', 'regexsplit', 'globsmatch'], prefixes: ['regex.'], min: 20 },
  { folders: ['globmatch', 'globquotemeta'], prefixes: ['glob.'], min: 25 },
  { folders: ['base64builtins', 'base64urlbuiltins', 'hexbuiltins', 'urlbuiltins'], prefixes: ['base64', 'hex.', 'urlquery.'], min: 15 },
  { folders: ['cryptohmacequal', 'cryptohmacsha256', 'cryptohmacsha512', 'cryptox509parsecertificates', 'cryptox509parsecertificaterequest', 'cryptox509parsekeypair', 'cryptox509parsersaprivatekey'], prefixes: ['crypto.'], min: 2 },
  { folders: ['netcidrcontains', 'netcidrcontainsmatches', 'netcidrexpand', 'netcidrintersects', 'netcidrmerge'], prefixes: ['net.'], min: 15 },
  { folders: ['semvercompare', 'semverisvalid'], prefixes: ['semver.'], min: 15 },
  { folders: ['uuid', 'rendertemplate', 'reachable', 'strings'], prefixes: ['uuid.', 'strings.render_template', 'graph.', 'strings.any_'], min: 10 },
  { folders: ['jsonfilter', 'jsonremove', 'jsonremoveidempotent', 'jsonpatch', 'objectfilter', 'objectfilteridempotent', 'objectget', 'objectremove', 'objectunion', 'objectunionn', 'subset'], prefixes: ['json.', 'object.'], min: 20 },
  { folders: ['time'], prefixes: ['time.'], min: 4 },
  { folders: ['strings'], prefixes: ['strings.split_n'], min: 10 },
  { folders: ['jwtbuiltins', 'jwtdecodeverify', 'jwtencodesign', 'jwtencodesignheadererrors', 'jwtencodesignpayloaderrors', 'jwtencodesignraw', 'jwtverifyeddsa', 'jwtverifyhs256', 'jwtverifyhs384', 'jwtverifyhs512', 'jwtverifyrsa'], prefixes: ['io.jwt.'], min: 50 },
];

function run(c: DirectCase) {
  const builtins = createHostBuiltins({ strict: c.expect.kind === 'error' && c.expect.strict, now: () => FIXED_NOW });
  const raw = builtins[c.builtin];
  const impl = raw && ((...args: unknown[]) => hostResultValue(raw(...args)));
  expect(impl, `${c.builtin} is implemented`).toBeDefined();
  const e = c.expect;
  switch (e.kind) {
    case 'value':
      expect(impl!(...c.args)).toEqual(e.value);
      break;
    case 'not-equal':
      expect(impl!(...c.args)).not.toEqual(e.value);
      break;
    case 'undefined':
      expect(impl!(...c.args)).toBeUndefined();
      break;
    case 'error':
      if (e.strict || e.code === 'eval_type_error') {
        // the evaluator adds the "file:row: " location prefix, not the builtin
        if (e.message === '') expect(() => impl!(...c.args)).toThrow();
        else expect(() => impl!(...c.args)).toThrow(e.message.replace(/^[\w.-]+\.rego:\d+: /, ''));
      } else {
        expect(impl!(...c.args)).toBeUndefined();
      }
  }
}

/**
 * Cases OPA answers from the operand's Rego type, which a host builtin cannot see: the SDK hands
 * a set over as an array (net.cidr_contains_matches keys set elements by value, arrays by index).
 */
for (const family of FAMILIES) {
  describe(`conformance: ${family.folders.join(', ')}`, () => {
    const cases = collectDirectCases(family.folders, family.prefixes);
    it(`finds at least ${family.min} direct cases`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(family.min);
    });
    for (const c of cases) {
      const title = `${c.note}: ${c.builtin}(${JSON.stringify(c.args).slice(1, -1).slice(0, 80)})`;
      it(title, () => run(c));
    }
  });
}

describe('registry', () => {
  it('lists every implemented builtin', () => {
    const builtins = createHostBuiltins({});
    expect(Object.keys(builtins).sort()).toEqual([...HOST_BUILTIN_NAMES]);
  });
});
