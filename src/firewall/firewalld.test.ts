import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planClose, planOpen, portMistakes, queries } from './firewalld.js';
import { argvOf } from '../plan/operation.js';
import { fakeRunner } from '../kernel/fake-runner.js';
import { parseArgs } from '../cli/args.js';
import { runFirewall } from '../cli/firewall.js';

const lines = (ops: ReturnType<typeof planOpen>) => ops.map((o) => argvOf(o).join(' '));

test('the receive side opens protocol 115 in the zone, runtime and permanent, as the vendor guide does', () => {
  assert.deepEqual(lines(planOpen('receive', 'public')), [
    'firewall-cmd --zone=public --add-protocol=115',
    'firewall-cmd --permanent --zone=public --add-protocol=115',
  ]);
  assert.deepEqual(lines(planClose('receive', 'public')), [
    'firewall-cmd --zone=public --remove-protocol=115',
    'firewall-cmd --permanent --zone=public --remove-protocol=115',
  ]);
});

test('the transmit side adds the direct OUTPUT rule of the vendor guide', () => {
  assert.deepEqual(lines(planOpen('transmit', 'public')), [
    'firewall-cmd --direct --add-rule ipv4 filter OUTPUT 0 -p 115 -j ACCEPT',
    'firewall-cmd --permanent --direct --add-rule ipv4 filter OUTPUT 0 -p 115 -j ACCEPT',
  ]);
});

test('port 115 in the port list is the mistake, other ports are not', () => {
  assert.deepEqual(portMistakes('80/tcp 115/tcp 115/udp 1150/tcp 100-200/udp 443/tcp\n'), ['115/tcp', '115/udp', '100-200/udp']);
});

test('firewall open with firewalld running applies to the default zone and warns about port 115', async (t) => {
  const runner = fakeRunner({
    'firewall-cmd --state': { stdout: 'running\n' },
    'firewall-cmd --get-default-zone': { stdout: 'public\n' },
    'firewall-cmd --zone=public --list-ports': { stdout: '115/tcp\n' },
    'firewall-cmd --permanent --zone=public --list-ports': { stdout: '' },
    'firewall-cmd --zone=public --query-protocol=115': { code: 1 },
    'firewall-cmd --permanent --zone=public --query-protocol=115': { code: 1 },
  }, true);
  const out: string[] = [];
  const err: string[] = [];
  t.mock.method(process.stdout, 'write', (s: string) => out.push(s));
  t.mock.method(process.stderr, 'write', (s: string) => err.push(s));
  const code = await runFirewall(parseArgs(['firewall', 'open', '--dry-run'], ['zone'], ['dry-run', 'json']), 'receive', runner);
  t.mock.restoreAll();
  assert.equal(code, 0);
  assert.deepEqual(runner.applied, ['firewall-cmd --zone=public --add-protocol=115', 'firewall-cmd --permanent --zone=public --add-protocol=115']);
  assert.match(out.join(''), /^\[info\] would allow IP protocol 115 in firewalld zone public/m, 'a dry run says what it would do');
  assert.match(err.join(''), /\[warn\] port 115\/tcp is open in firewalld zone public: L2TPv3 is IP protocol 115, not TCP or UDP port 115/);
});

test('firewall open with no firewall at all says so and fails', async () => {
  // No firewall-cmd and no nft: both commands not found (exit 127).
  const runner = fakeRunner({ 'firewall-cmd --state': { code: 127 }, 'nft -j list ruleset': { code: 127 } }, true);
  await assert.rejects(runFirewall(parseArgs(['firewall', 'open', '--dry-run'], [], ['dry-run']), 'receive', runner), /neither firewalld .* nor nftables/);
});

test('firewall open where nft cannot read the ruleset (not root) fails with that reason, not "no firewall"', async () => {
  const runner = fakeRunner({ 'firewall-cmd --state': { code: 127 }, 'nft -j list ruleset': { code: 1, stderr: 'Error: Operation not permitted\n' } }, true);
  await assert.rejects(runFirewall(parseArgs(['firewall', 'open', '--dry-run'], [], ['dry-run']), 'receive', runner), /cannot open the firewall: cannot read the nftables ruleset \(Error: Operation not permitted\): run as root/);
});

test('UDP ports in the config (WireGuard\'s, udp=): open, close and query them as well, on both sides', () => {
  assert.deepEqual(lines(planOpen('receive', 'public', [51871, 1701])), [
    'firewall-cmd --zone=public --add-protocol=115',
    'firewall-cmd --zone=public --add-port=51871/udp',
    'firewall-cmd --zone=public --add-port=1701/udp',
    'firewall-cmd --permanent --zone=public --add-protocol=115',
    'firewall-cmd --permanent --zone=public --add-port=51871/udp',
    'firewall-cmd --permanent --zone=public --add-port=1701/udp',
  ]);
  assert.deepEqual(lines(planClose('transmit', 'public', [51871])), [
    'firewall-cmd --direct --remove-rule ipv4 filter OUTPUT 0 -p 115 -j ACCEPT',
    'firewall-cmd --direct --remove-rule ipv4 filter OUTPUT 0 -p udp --dport 51871 -j ACCEPT',
    'firewall-cmd --permanent --direct --remove-rule ipv4 filter OUTPUT 0 -p 115 -j ACCEPT',
    'firewall-cmd --permanent --direct --remove-rule ipv4 filter OUTPUT 0 -p udp --dport 51871 -j ACCEPT',
  ]);
  assert.deepEqual(queries('receive', 'public', [51871])[0].map((q) => q.join(' ')), [
    'firewall-cmd --zone=public --query-protocol=115', 'firewall-cmd --zone=public --query-port=51871/udp',
  ]);
});
