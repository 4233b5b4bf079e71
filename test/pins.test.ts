// Pins (bundles/govern.lock): stable format, pin/update, and the three outcomes of a check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPin, defaultPinsPath, formatPins, isHashPinned, parsePins, pinBundles, pinKey, PinsError, readPins, sha256File } from '../src/bundle/pins.js';
import { tempDir } from './evaluator-fixtures.js';

describe('pins', () => {
  it('pins bundles relative to the lock file, with sorted keys and a trailing newline', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.tar.gz'), 'bbb');
    writeFileSync(join(dir, 'a.tar.gz'), 'aaa');
    const lock = join(dir, 'govern.lock');
    const results = pinBundles(lock, [join(dir, 'b.tar.gz'), join(dir, 'a.tar.gz')]);
    expect(results.map((r) => r.key)).toEqual(['b.tar.gz', 'a.tar.gz']);
    const text = readFileSync(lock, 'utf8');
    expect(text).toBe(formatPins({ version: 1, bundles: { 'a.tar.gz': sha256File(Buffer.from('aaa')), 'b.tar.gz': sha256File(Buffer.from('bbb')) } }));
    expect(text.indexOf('a.tar.gz')).toBeLessThan(text.indexOf('b.tar.gz'));
    expect(text.endsWith('}\n')).toBe(true);
    // Re-pinning unchanged bytes reports "unchanged"; new bytes update the pin.
    expect(pinBundles(lock, [join(dir, 'a.tar.gz')])[0]!.changed).toBe(false);
    writeFileSync(join(dir, 'a.tar.gz'), 'AAA');
    expect(pinBundles(lock, [join(dir, 'a.tar.gz')])[0]!.changed).toBe(true);
    expect(readPins(lock).bundles['a.tar.gz']).toBe(sha256File(Buffer.from('AAA')));
  });

  it('checks bytes against the pin: pinned, mismatch, unpinned', () => {
    const pins = { version: 1, bundles: { 'x.tar.gz': sha256File(Buffer.from('good')) } };
    expect(checkPin(pins, 'x.tar.gz', Buffer.from('good')).status).toBe('pinned');
    expect(checkPin(pins, 'x.tar.gz', Buffer.from('evil')).status).toBe('mismatch');
    expect(checkPin(pins, 'y.tar.gz', Buffer.from('good')).status).toBe('unpinned');
    expect(isHashPinned(pins, sha256File(Buffer.from('good')))).toBe(true);
    expect(isHashPinned(pins, sha256File(Buffer.from('evil')))).toBe(false);
  });

  it('defaults to govern.lock beside the bundle; keys use forward slashes', () => {
    expect(defaultPinsPath('/srv/bundles/agent.tar.gz')).toBe('/srv/bundles/govern.lock');
    expect(pinKey('/srv/govern.lock', '/srv/bundles/agent.tar.gz')).toBe('bundles/agent.tar.gz');
  });

  it('rejects malformed lock files with a clear error', () => {
    expect(() => parsePins('{', 'l')).toThrow(PinsError);
    expect(() => parsePins('{"version":2,"bundles":{}}', 'l')).toThrow(/unsupported version/);
    expect(() => parsePins('{"version":1,"bundles":{"a":"xyz"}}', 'l')).toThrow(/not a sha256/);
    expect(readPins(join(tempDir(), 'missing.lock')).bundles).toEqual({});
  });
});
