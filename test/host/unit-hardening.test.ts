// The shipped units stay hardened: `systemd-analyze security` (offline, on the files as shipped) rates each one at
// most 3.5 of 10 (they were 9.1 to 9.6 before the hardening), and the check can fail (the unit without its hardening).
// That the hardened units still do their work is the systemd lab's job (test/systemd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const SYSTEMD = resolve(import.meta.dirname, '..', '..', '..', 'systemd');
const UNITS = ['ux-tunnel-receive.service', 'ux-tunnel-receive-monitor.service', 'ux-tunnel-transmit.service', 'ux-tunnel-transmit-keepalive.service'];
/** systemd-analyze's threshold is the exposure level times ten. */
const THRESHOLD = 35;

const exposure = (path: string) => exec(['systemd-analyze', 'security', '--offline=true', `--threshold=${THRESHOLD}`, '--no-pager', path]);

test('every unit rates at most 3.5 in systemd-analyze security', async () => {
  for (const unit of UNITS) {
    const result = await exposure(join(SYSTEMD, unit));
    assert.equal(result.code, 0, `${unit} is rated above ${THRESHOLD / 10}:\n${result.stdout.split('\n').filter((l) => l.startsWith('✗') || l.startsWith('→')).join('\n')}`);
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout);
    assert.ok(level && Number(level[1]) <= THRESHOLD / 10, `${unit}: ${level?.[1]}`);
  }
});

test('the check can fail: the receive unit without its hardening lines is rated above the threshold', async (t) => {
  const dir = await scratchDir(t, 'uxt-hardening-');
  const text = await readFile(join(SYSTEMD, UNITS[0]!), 'utf8');
  const bare = text.replace(/^(NoNewPrivileges|Protect\w+|Private\w+|Restrict\w+|LockPersonality|SystemCall\w+|UMask|CapabilityBoundingSet)=.*\n/gm, '');
  assert.notEqual(bare, text);
  await writeFile(join(dir, UNITS[0]!), bare);
  assert.notEqual((await exposure(join(dir, UNITS[0]!))).code, 0);
});
