// A govern-built bundle's policy.wasm loaded with the PLAIN opa-wasm SDK: no govern code in the
// loop (the bundle is unpacked with the system tar, no custom builtins), right answers expected.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

const POLICY = `package rbac

default allow := false

# rules + iteration: a grant of one of the user's roles matches the request
allow if {
	some grant in user_grants
	grant.action == input.action
	grant.resource == input.resource
}

# partial sets
user_roles contains role if {
	some role in data.bindings[input.user]
}

user_grants contains grant if {
	some role in user_roles
	some grant in data.roles[role]
}

# objects: a comprehension keyed by role
grant_counts := {name: count(grants) | some name, grants in data.roles}

# partial object
actions_by_role[name] := {g.action | some g in grants} if {
	some name, grants in data.roles
}

# functions
is_admin(user) if "admin" in data.bindings[user]

double(x) := x * 2

admins := [u | some u, _ in data.bindings; is_admin(u)]

doubled := [double(n) | some n in input.numbers]
`;

const DATA = {
  bindings: { alice: ['admin'], bob: ['reader'], carol: ['reader', 'writer'] },
  roles: {
    admin: [
      { action: 'read', resource: 'doc' },
      { action: 'write', resource: 'doc' },
    ],
    reader: [{ action: 'read', resource: 'doc' }],
    writer: [{ action: 'write', resource: 'doc' }],
  },
};

let wasm: Buffer;
let data: unknown;
const entrypoints = ['rbac/allow', 'rbac/user_roles', 'rbac/grant_counts', 'rbac/actions_by_role', 'rbac/admins', 'rbac/doubled'];

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'govern-sdk-'));
  writeFileSync(join(dir, 'rbac.rego'), POLICY);
  writeFileSync(join(dir, 'data.json'), JSON.stringify(DATA));
  const bundle = join(dir, 'bundle.tar.gz');
  execFileSync(process.execPath, [cli, 'build', join(dir, 'rbac.rego'), ...entrypoints.flatMap((e) => ['-e', e]), '-d', join(dir, 'data.json'), '-o', bundle]);
  const out = join(dir, 'out');
  mkdirSync(out);
  execFileSync('tar', ['-xzf', bundle, '-C', out]);
  wasm = readFileSync(join(out, 'policy.wasm'));
  data = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8'));
});

describe('govern-built wasm with the plain opa-wasm SDK', () => {
  it('declares the entrypoints in -e order', async () => {
    const policy = await loadPolicy(wasm);
    expect(policy.entrypoints).toEqual(Object.fromEntries(entrypoints.map((e, i) => [e, i])));
  });

  it('answers rules, default and iteration', async () => {
    const policy = await loadPolicy(wasm);
    policy.setData(data as object);
    expect(policy.evaluate({ user: 'alice', action: 'write', resource: 'doc' }, 'rbac/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ user: 'bob', action: 'write', resource: 'doc' }, 'rbac/allow')).toEqual([{ result: false }]);
    expect(policy.evaluate({ user: 'carol', action: 'write', resource: 'doc' }, 'rbac/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ user: 'nobody', action: 'read', resource: 'doc' }, 'rbac/allow')).toEqual([{ result: false }]);
    expect(policy.evaluate({}, 'rbac/allow')).toEqual([{ result: false }]);
  });

  it('answers sets, objects and functions', async () => {
    const policy = await loadPolicy(wasm);
    policy.setData(data as object);
    expect(policy.evaluate({ user: 'carol' }, 'rbac/user_roles')).toEqual([{ result: ['reader', 'writer'] }]);
    expect(policy.evaluate({}, 'rbac/grant_counts')).toEqual([{ result: { admin: 2, reader: 1, writer: 1 } }]);
    expect(policy.evaluate({}, 'rbac/actions_by_role')).toEqual([{ result: { admin: ['read', 'write'], reader: ['read'], writer: ['write'] } }]);
    expect(policy.evaluate({}, 'rbac/admins')).toEqual([{ result: ['alice'] }]);
    expect(policy.evaluate({ numbers: [1, 2.5, -3] }, 'rbac/doubled')).toEqual([{ result: [2, 5, -6] }]);
  });
});
