// Host builtin benchmark: per-call latency of the builtins a governance policy typically calls
// (as the opa-wasm SDK calls them: JSON arguments in, JSON out), measured in batches.
// Goal: the cheap ones (units, glob, regex with a cached pattern, cidr) under 5 µs a call,
// JWT HS256 decode_verify under 50 µs, GraphQL parse_query of a small query under 100 µs.
import { createHostBuiltins } from '../../dist/builtins/index.js';

const b = createHostBuiltins({ now: () => 1_700_000_000_000_000_000n, strict: true });

// signed once with the builtin itself (key "secret") so that verification succeeds
const token = b['io.jwt.encode_sign']({ alg: 'HS256', typ: 'JWT' }, { sub: '0', iss: 'opa', exp: 4102444800 }, { kty: 'oct', k: 'c2VjcmV0' });
if (b['io.jwt.decode_verify'](token, { secret: 'secret' })[0] !== true) throw new Error('benchmark token does not verify');

const cases = [
  ['units.parse', () => b['units.parse']('1.5Gi'), 5],
  ['glob.match', () => b['glob.match']('*.github.com', ['.'], 'api.github.com'), 5],
  ['regex.match (cached pattern)', () => b['regex.match']('^[a-z]+-[0-9]{2,4}$', 'deploy-2024'), 5],
  ['net.cidr_contains', () => b['net.cidr_contains']('10.0.0.0/8', '10.1.2.3'), 5],
  ['time.parse_rfc3339_ns', () => b['time.parse_rfc3339_ns']('2024-06-02T19:00:00-07:00'), 20],
  ['io.jwt.decode_verify HS256', () => b['io.jwt.decode_verify'](token, { secret: 'secret' }), 50],
  ['graphql.parse_query', () => b['graphql.parse_query']('query Q($id: ID!) { user(id: $id) { name email roles } }'), 100],
];

function measure(fn, batch = 2000, rounds = 15) {
  for (let i = 0; i < batch; i++) fn(); // warm up
  const perCall = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    perCall.push(Number(process.hrtime.bigint() - start) / batch / 1000);
  }
  perCall.sort((x, y) => x - y);
  return { p50: perCall[Math.floor(rounds / 2)], p99: perCall[rounds - 1] };
}

console.log('host builtins: per-call latency (µs), batches of 2000 calls');
for (const [name, fn, goal] of cases) {
  if (fn() === undefined) throw new Error(`${name} returned undefined`);
  const { p50, p99 } = measure(fn);
  console.log(`  ${name.padEnd(30)} p50 ${p50.toFixed(2).padStart(8)}  max-batch ${p99.toFixed(2).padStart(8)}  goal < ${goal}  ${p50 < goal ? 'ok' : 'MISSED'}`);
}
