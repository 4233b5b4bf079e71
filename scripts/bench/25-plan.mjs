// Planner benchmark: checked AST → IR for a generated ~50 KB policy (parse and checks are done once,
// outside the timing). Goal: planning under 20 ms (median after warm-up). Also prints the IR size,
// which is what the code generator has to translate.
import { parseModule } from '../../dist/syntax/parser.js';
import { checkModules } from '../../dist/check/index.js';
import { planPolicy } from '../../dist/plan/planner.js';

let src = 'package bench\n\n';
for (let i = 0; src.length < 50_000; i++) {
  src += `roles_${i} contains r if {\n\tsome b in input.bindings\n\tb.user == input.user\n\tr := b.role\n}\n\n`;
  src += `allow_${i} if {\n\tsome r in roles_${i}\n\tsome g in data.grants[r]\n\tg.action == input.action\n\tnot blocked_${i}\n}\n\n`;
  src += `blocked_${i} if input.user in data.blocked\n\n`;
  src += `limits_${i}[u] := n if {\n\tsome u, n in data.limits\n\tn > ${i}\n}\n\n`;
  src += `label_${i} := $"rule {count(roles_${i})}" if allow_${i} else := "none"\n\n`;
}

const parsed = parseModule(src, 'bench.rego');
if (parsed.errors.length > 0) throw new Error(parsed.errors[0].message);
const checked = checkModules([parsed.value]);
if (checked.errors.length > 0) throw new Error(checked.errors[0].message);

const targets = { entrypoints: ['bench/allow_0', 'bench'] };
for (let i = 0; i < 5; i++) planPolicy(checked.modules, targets);
const times = [];
let policy;
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  policy = planPolicy(checked.modules, targets);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);

let stmts = 0;
const count = (blocks) => {
  for (const b of blocks)
    for (const s of b.stmts) {
      stmts++;
      if (s.type === 'Block') count(s.blocks);
      if (s.block) count([s.block]);
    }
};
for (const f of [...policy.funcs, ...policy.plans]) count(f.blocks);

const median = times[Math.floor(times.length / 2)];
console.log(
  `plan ${(src.length / 1024).toFixed(0)} KB policy: median ${median.toFixed(2)} ms, p99 ${times[times.length - 1].toFixed(2)} ms ` +
    `(goal < 20 ms) — ${policy.funcs.length} funcs, ${stmts} IR statements`,
);
