// Front-end benchmark: parse + compile-time checks (src/check) of a generated ~50 KB policy.
// Goal: parse+check of 50 KB under 50 ms (median of repeated runs after warm-up).
import { parseModule } from '../../dist/syntax/parser.js';
import { checkModules } from '../../dist/check/index.js';

/** A policy of many ordinary rules: RBAC lookups, comprehensions, some/every, functions, else. */
function generatePolicy(targetBytes) {
  const parts = ['package bench.authz\n\nimport data.bench.lib as lib\n\ndefault allow := false\n'];
  let i = 0;
  while (parts.join('').length < targetBytes) {
    parts.push(`
roles_${i} contains role if {
	some binding in input.bindings
	binding.user == input.user
	role := binding.role
	startswith(role, "team-${i}")
}

perms_${i}[role] := perms if {
	some role in roles_${i}
	perms := {p | some grant in data.grants[role]; p := sprintf("%s:%s", [grant.action, grant.resource])}
}

allowed_${i} if {
	some role, perms in perms_${i}
	wanted := sprintf("%s:%s", [input.action, input.resource])
	wanted in perms
	not denied_${i}(role)
	count(roles_${i}) > 0
}

denied_${i}(role) if {
	every r in input.blocked { r != role }
	lib.flag(role, ${i}) == true
}

score_${i} := total if {
	scores := [s | x := input.items[_]; x.kind == "k${i}"; s := x.weight * 2 + 1]
	total := sum(scores)
} else := 0

allow if allowed_${i}
`);
    i++;
  }
  return parts.join('');
}

const lib = 'package bench.lib\n\nflag(role, n) := true if {\n\tcount(role) > n\n} else := false\n';
const source = generatePolicy(50 * 1024);
const bytes = Buffer.byteLength(source) + Buffer.byteLength(lib);

function run() {
  const a = parseModule(source, 'authz.rego');
  const b = parseModule(lib, 'lib.rego');
  if (a.errors.length || b.errors.length) throw new Error(`parse errors: ${JSON.stringify([...a.errors, ...b.errors][0])}`);
  const t1 = performance.now();
  const checked = checkModules([a.value, b.value]);
  const t2 = performance.now();
  if (checked.errors.length) throw new Error(`check errors: ${JSON.stringify(checked.errors[0])}`);
  return t2 - t1;
}

for (let i = 0; i < 10; i++) run();
const total = [];
const checkOnly = [];
const runs = 30;
// CPU time too: on a shared, loaded machine wall time mostly measures waiting for a core.
const cpu0 = process.cpuUsage();
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  checkOnly.push(run());
  total.push(performance.now() - t0);
}
const cpu = process.cpuUsage(cpu0);
const cpuPerRun = (cpu.user + cpu.system) / 1000 / runs;
total.sort((a, b) => a - b);
checkOnly.sort((a, b) => a - b);
const median = (xs) => xs[Math.floor(xs.length / 2)];
const p99 = (xs) => xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];
console.log(
  `parse+check ${(bytes / 1024).toFixed(1)} KB policy: median ${median(total).toFixed(2)} ms, p99 ${p99(total).toFixed(2)} ms ` +
    `(check alone: median ${median(checkOnly).toFixed(2)} ms); CPU time ${cpuPerRun.toFixed(2)} ms per run ` +
    `— goal < 50 ms: ${median(total) < 50 ? 'met' : 'NOT met'}`,
);
