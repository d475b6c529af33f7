import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reassemblyWarnings } from './reassembly.js';

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? null;

test('the kernel defaults get a warning per setting and the sysctl command that fixes both', () => {
  const warnings = reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '64', 'net.ipv4.ipfrag_high_thresh': '4194304' }));
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /ipfrag_max_dist is 64/);
  assert.match(warnings[1]!, /ipfrag_high_thresh is 4194304 bytes/);
  assert.match(warnings[2]!, /sysctl -w net\.ipv4\.ipfrag_max_dist=0 net\.ipv4\.ipfrag_high_thresh=67108864/);
});

test('tuned settings, or settings that cannot be read (no IPv4 sysctls), give no warning', () => {
  assert.deepEqual(reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '0', 'net.ipv4.ipfrag_high_thresh': '67108864' })), []);
  assert.deepEqual(reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '0', 'net.ipv4.ipfrag_high_thresh': '134217728' })), []);
  assert.deepEqual(reassemblyWarnings(reader({})), []);
});

test('only the setting that is off is named', () => {
  const warnings = reassemblyWarnings(reader({ 'net.ipv4.ipfrag_max_dist': '0', 'net.ipv4.ipfrag_high_thresh': '4194304' }));
  assert.equal(warnings.length, 2);
  assert.match(warnings[1]!, /sysctl -w net\.ipv4\.ipfrag_high_thresh=67108864,/);
});
