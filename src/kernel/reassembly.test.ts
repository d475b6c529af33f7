import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reassemblyWarnings } from './reassembly.js';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? null;

test('the kernel defaults need nothing: the mirror sends each frame\'s fragments back to back', () => {
  assert.deepEqual(reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '64', 'net.ipv4.ipfrag_high_thresh': '4194304' })), []);
  assert.deepEqual(reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '128' })), []);
});

test('ipfrag_max_dist 0 (the check off) is unsafe: a warning and the command that restores the default', () => {
  const warnings = reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '0' }));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /ipfrag_max_dist is 0: .*corrupted frame/);
  assert.match(warnings[1]!, /sysctl -w net\.ipv4\.ipfrag_max_dist=64/);
});

test('settings that cannot be read (no IPv4 sysctls) give no warning', () => {
  assert.deepEqual(reassemblyWarnings(reader({})), []);
});
