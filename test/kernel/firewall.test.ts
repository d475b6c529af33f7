// `firewall open|close|status` with nftables: L2TP is blocked, then let through, then blocked again, rules restored.
//
//   ns web (transmit side)                         ns collector (receive side)
//   nft output chain, policy drop                  nft input chain, policy drop, plus "tcp dport 115 accept" (the mistake)
//   l2tpeth 198.51.100.1 ---- L2TP tunnel 7 ---- l2tpeth 198.51.100.2
//   veth-w 192.0.2.11/24 ===== IP proto 115 ===== veth-c 192.0.2.10/24
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { scratchDir } from './lib/scratch.js';
import { connect, createNetns, requireL2tp, type Netns } from './lib/netns.js';
import { execOrThrow } from '../../src/kernel/exec.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');

async function tunnelEnd(ns: Netns, local: string, remote: string, dev: string, addr: string): Promise<void> {
  await ns.ip(
    `l2tp add tunnel tunnel_id 7 peer_tunnel_id 7 encap ip local ${local} remote ${remote}`,
    `l2tp add session name ${dev} tunnel_id 7 session_id 7 peer_session_id 7`,
    `addr add ${addr} dev ${dev}`,
    `link set ${dev} up`,
  );
}

const ruleset = async (ns: Netns) => JSON.parse((await ns.run('nft', '-j', 'list', 'ruleset')).stdout) as unknown;
// Whether frames cross: the collector's session interface counts what the tunnel delivers. (Ping replies are no
// measure here: the collector's own input chain also sees, and drops, the inner ICMP delivered on its session.)
async function framesCross(web: Netns, collector: Netns): Promise<boolean> {
  const before = (await collector.linkStats('l2tpeth-c')).rxPackets;
  await web.probe('ping', '-c', '3', '-i', '0.2', '-W', '1', '198.51.100.2');
  return (await collector.linkStats('l2tpeth-c')).rxPackets > before;
}

test('firewall open lets IP protocol 115 through nftables on both sides, close restores the rulesets exactly', async (t) => {
  await requireL2tp();
  const web = await createNetns(t, 'fw-web');
  const collector = await createNetns(t, 'fw-coll');
  await connect(web, 'veth-w', '192.0.2.11/24', collector, 'veth-c', '192.0.2.10/24');
  await tunnelEnd(web, '192.0.2.11', '192.0.2.10', 'l2tpeth-w', '198.51.100.1/24');
  await tunnelEnd(collector, '192.0.2.10', '192.0.2.11', 'l2tpeth-c', '198.51.100.2/24');
  assert.ok(await framesCross(web, collector), 'the tunnel works before any firewall');

  await collector.run('bash', '-c', `nft -f - <<'NFT'
table inet filter {
  chain input { type filter hook input priority 0; policy drop; iif lo accept; tcp dport 115 accept; }
}
NFT`);
  await web.run('bash', '-c', `nft -f - <<'NFT'
table inet filter {
  chain output { type filter hook output priority 0; policy drop; oif lo accept; icmp type echo-request accept; }
}
NFT`);
  const collectorBefore = await ruleset(collector);
  const webBefore = await ruleset(web);
  assert.equal(await framesCross(web, collector), false, 'the firewalls block the tunnel');

  const status = await collector.probe(`${BIN}/ux-tunnel-receive`, 'firewall', 'status');
  assert.equal(status.code, 1, 'status fails while L2TP is blocked');
  assert.match(status.stdout, /nftables chain inet filter input: incoming IP protocol 115 blocked \(policy drop, no ux-tunnel rule\)/);
  assert.match(status.stderr, /\[warn\] tcp port 115 in inet filter input .*IP protocol 115, not TCP or UDP port 115/);

  const dry = await collector.run(`${BIN}/ux-tunnel-receive`, 'firewall', 'open', '--dry-run');
  assert.match(dry.stderr, /\[#\] nft insert rule inet filter input meta l4proto 115 accept comment/);
  assert.match(dry.stdout, /^\[info\] would allow IP protocol 115 in nftables/m, 'a dry run says what it would do, not that it did');
  assert.deepEqual(await ruleset(collector), collectorBefore, '--dry-run changed nothing');

  await collector.run(`${BIN}/ux-tunnel-receive`, 'firewall', 'open');
  assert.equal(await framesCross(web, collector), false, 'still blocked: the web server\'s output chain drops L2TP');
  await web.run(`${BIN}/ux-tunnel-transmit`, 'firewall', 'open');
  assert.ok(await framesCross(web, collector), 'with both sides open, frames cross the tunnel');
  const opened = await collector.run(`${BIN}/ux-tunnel-receive`, 'firewall', 'status', '--json');
  assert.equal((JSON.parse(opened.stdout) as { allowed: boolean }).allowed, true);
  const again = await collector.run(`${BIN}/ux-tunnel-receive`, 'firewall', 'open');
  assert.match(again.stdout, /nothing to open/, 'open twice adds no second rule');

  await collector.run(`${BIN}/ux-tunnel-receive`, 'firewall', 'close');
  await web.run(`${BIN}/ux-tunnel-transmit`, 'firewall', 'close');
  assert.deepEqual(await ruleset(collector), collectorBefore, 'close restores the collector ruleset exactly');
  assert.deepEqual(await ruleset(web), webBefore, 'close restores the web server ruleset exactly');
  assert.equal(await framesCross(web, collector), false, 'blocked again');
});

test('firewall status never gives a false all-clear: legacy iptables rules, or a ruleset it cannot read, make it say so and fail', async (t) => {
  await requireL2tp();
  const ns = await createNetns(t, 'fw-legacy');
  const receive = `${BIN}/ux-tunnel-receive`;
  const clean = await ns.probe(receive, 'firewall', 'status');
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /nftables has no input chain: nothing in nftables filters incoming IP protocol 115/);

  // Legacy iptables (x_tables), which nft does not show, with a drop policy: ux-tunnel cannot judge it. (Its filter
  // table's module is not loaded on demand from a namespace: load it; it accepts everything until told otherwise.)
  await execOrThrow(['modprobe', 'iptable_filter']);
  await ns.run('iptables-legacy', '-P', 'INPUT', 'DROP');
  const legacy = await ns.probe(receive, 'firewall', 'status');
  assert.equal(legacy.code, 1, legacy.stdout + legacy.stderr);
  assert.match(legacy.stderr, /legacy iptables has INPUT policy DROP, which ux-tunnel does not read: check that they accept IP protocol 115/);
  assert.doesNotMatch(legacy.stdout, /nothing .*filters/);
  await ns.run('iptables-legacy', '-P', 'INPUT', 'ACCEPT');

  // An unprivileged user cannot read the nftables ruleset: that is not "no firewall".
  const nobody = await ns.probe('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, receive, 'firewall', 'status');
  assert.equal(nobody.code, 1, nobody.stdout + nobody.stderr);
  assert.match(nobody.stdout, /cannot tell whether incoming IP protocol 115 is allowed: cannot read the nftables ruleset .*run as root/);
  assert.doesNotMatch(nobody.stdout, /no firewalld and no nftables/);
});

test('with encrypted tunnels and tunnels over UDP in the config, open also lets their UDP ports through, status checks them, close restores', async (t) => {
  const collector = await createNetns(t, 'fw-wg');
  const dir = await scratchDir(t, 'uxt-fw-wg-');
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '10.10.10.10 10.10.10.11 - - wireguard=vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=\n10.10.10.10 10.10.10.12 - - udp=1701\n');
  await collector.run('bash', '-c', `nft -f - <<'NFT'
table inet filter {
  chain input { type filter hook input priority 0; policy drop; iif lo accept; }
}
NFT`);
  const before = await ruleset(collector);
  const cli = (...args: string[]) => collector.probe(`${BIN}/ux-tunnel-receive`, '--config', conf, 'firewall', ...args);
  const closed = await cli('status');
  assert.equal(closed.code, 1);
  assert.match(closed.stdout, /encrypted tunnels \(wireguard=\): UDP port 51871 is part of "allowed"/);
  assert.match(closed.stdout, /tunnels over UDP \(udp=\): UDP port\(s\) 1701 are part of "allowed"/);
  assert.equal((await cli('open')).code, 0);
  const chain = (await collector.run('nft', 'list', 'chain', 'inet', 'filter', 'input')).stdout;
  assert.match(chain, /udp dport 51871 accept comment "ux-tunnel: WireGuard \(UDP 51871\)"/);
  assert.match(chain, /udp dport 1701 accept comment "ux-tunnel: L2TPv3 over UDP 1701"/);
  assert.equal((JSON.parse((await cli('status', '--json')).stdout) as { allowed: boolean }).allowed, true);
  assert.equal((await cli('close')).code, 0);
  assert.deepEqual(await ruleset(collector), before, 'close restores the ruleset exactly');
});
