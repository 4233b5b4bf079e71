// Front-end benchmark: lexer + parser (and the compile-time checks) over every module of the
// conformance suite (throughput), and over one generated ~50 KB policy (latency, median of runs).
// Goal: parse + check of a 50 KB policy under 50 ms.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseModule } from '../../dist/syntax/parser.js';
import { checkModules } from '../../dist/check/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const conformanceRoot = resolve(repoRoot, '../shared/conformance/opa-v1');

function yamlFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Each case's modules, kept together (they are checked together). */
function conformanceCases() {
  const cases = [];
  for (const file of yamlFiles(conformanceRoot)) {
    const doc = parseYaml(readFileSync(file, 'utf8'));
    for (const c of doc.cases ?? []) if (c.modules?.length) cases.push(c.modules);
  }
  return cases;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

// ---- throughput over the conformance suite -------------------------------------------------

const cases = conformanceCases();
const moduleCount = cases.reduce((n, ms) => n + ms.length, 0);
const suiteBytes = cases.reduce((n, ms) => n + ms.reduce((m, s) => m + Buffer.byteLength(s), 0), 0);

function parseSuite() {
  const parsed = [];
  for (const ms of cases) {
    const modules = [];
    for (let i = 0; i < ms.length; i++) {
      const r = parseModule(ms[i], `m${i}.rego`);
      if (r.errors.length) throw new Error(`parse error: ${JSON.stringify(r.errors[0])}`);
      modules.push(r.value);
    }
    parsed.push(modules);
  }
  return parsed;
}

function checkSuite(parsed) {
  let errors = 0;
  for (const modules of parsed) errors += checkModules(modules).errors.length;
  return errors;
}

for (let i = 0; i < 3; i++) checkSuite(parseSuite());
const parseTimes = [];
const checkTimes = [];
const parseCpu = [];
for (let i = 0; i < 10; i++) {
  globalThis.gc?.();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const parsed = parseSuite();
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  checkSuite(parsed);
  const t2 = performance.now();
  parseTimes.push(t1 - t0);
  checkTimes.push(t2 - t1);
  parseCpu.push((c1.user + c1.system) / 1000);
}
const mb = suiteBytes / (1024 * 1024);
const parseMs = median(parseTimes);
const bothMs = median(parseTimes.map((p, i) => p + checkTimes[i]));
console.log(
  `conformance suite (${moduleCount} modules, ${(suiteBytes / 1024).toFixed(0)} KB): ` +
    `parse ${(moduleCount / (parseMs / 1000)).toFixed(0)} modules/s, ${(mb / (parseMs / 1000)).toFixed(1)} MB/s (median ${parseMs.toFixed(1)} ms wall, ${median(parseCpu).toFixed(1)} ms CPU); ` +
    `parse+check ${(moduleCount / (bothMs / 1000)).toFixed(0)} modules/s, ${(mb / (bothMs / 1000)).toFixed(1)} MB/s (median ${bothMs.toFixed(1)} ms)`,
);

// ---- one generated ~50 KB policy ----------------------------------------------------------

/** Ordinary policy code with a spread of syntax: annotations, templates, refs, comprehensions, else. */
function generatePolicy(targetBytes) {
  const parts = [
    '# METADATA\n# title: Generated policy\n# description: Front-end benchmark input.\npackage bench.frontend\n\nimport data.bench.frontend_lib as lib\n\ndefault allow := false\n',
  ];
  let size = parts[0].length;
  for (let i = 0; size < targetBytes; i++) {
    const chunk = `
# METADATA
# title: Rule group ${i}
# custom:
#   severity: ${i % 3 === 0 ? 'high' : 'low'}
deny_${i} contains msg if {
	some resource in input.resources
	resource.kind == "Deployment"
	not resource.spec.replicas >= ${i % 5 + 1}
	msg := $"deployment {resource.metadata.name} needs at least ${i % 5 + 1} replicas (group ${i})"
}

limits_${i}[name] := limit if {
	some name, container in input.containers
	limit := object.get(container, ["resources", "limits", "cpu"], "0")
	startswith(name, "svc-${i}-")
}

score_${i} := total if {
	weights := [w | item := input.items[_]; item.group == ${i}; w := item.weight * 1.5 + 0.25]
	total := sum(weights) / count(weights)
} else := 0

tagged_${i}(tags) if {
	every t in tags { regex.match("^[a-z0-9-]+$", t) }
	count({t | some t in tags} & {"prod", "stage-${i}"}) > 0
}

allow if {
	input.user.roles[_] == "admin-${i}"
	tagged_${i}(input.tags)
	lib.ok(${i}) with input.mode as "strict"
	score_${i} > 12345678901234567890
}
`;
    parts.push(chunk);
    size += chunk.length;
  }
  return parts.join('');
}

const source = generatePolicy(50 * 1024);
const lib = 'package bench.frontend_lib\n\nok(n) := true if {\n\tn >= 0\n} else := false\n';
const bytes = Buffer.byteLength(source) + Buffer.byteLength(lib);

/** CPU milliseconds of this process (user + system): on a busy machine wall time is mostly waiting. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function once() {
  const t0 = performance.now();
  const c0 = cpuMs();
  const a = parseModule(source, 'policy.rego');
  const b = parseModule(lib, 'lib.rego');
  const t1 = performance.now();
  const c1 = cpuMs();
  if (a.errors.length || b.errors.length) throw new Error(`parse errors: ${JSON.stringify([...a.errors, ...b.errors][0])}`);
  const checked = checkModules([a.value, b.value]);
  const t2 = performance.now();
  const c2 = cpuMs();
  if (checked.errors.length) throw new Error(`check errors: ${JSON.stringify(checked.errors[0])}`);
  return { parse: t1 - t0, total: t2 - t0, parseCpu: c1 - c0, totalCpu: c2 - c0 };
}

for (let i = 0; i < 5; i++) once();
const runs = [];
for (let i = 0; i < 30; i++) runs.push(once());
const m = (key) => median(runs.map((r) => r[key]));
const parseMb = bytes / 1024 / 1024 / (m('parse') / 1000);
console.log(
  `generated ${(bytes / 1024).toFixed(1)} KB policy: parse median ${m('parse').toFixed(2)} ms wall / ${m('parseCpu').toFixed(2)} ms CPU ` +
    `(p99 ${p99(runs.map((r) => r.parse)).toFixed(2)} ms, ${parseMb.toFixed(1)} MB/s); parse+check median ${m('total').toFixed(2)} ms wall / ` +
    `${m('totalCpu').toFixed(2)} ms CPU (p99 ${p99(runs.map((r) => r.total)).toFixed(2)} ms) — goal < 50 ms: ${m('total') < 50 ? 'met' : 'NOT met'} (wall), ` +
    `${m('totalCpu') < 50 ? 'met' : 'NOT met'} (CPU)`,
);
