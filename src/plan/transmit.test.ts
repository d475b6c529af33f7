import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTunnelConf } from '../config/tunnel.js';
import { argvOf, type Operation } from './operation.js';
import { mirrorFilters, planStart, planStop, stateAfterStop } from './transmit.js';
import { keysOf, type FilterSpec, type TcFilter } from '../kernel/tc.js';
import type { Link } from '../kernel/links.js';
import { BRIDGE, SESSION_IF, VETH_IN, VETH_OUT, type TransmitKernelState } from '../model/transmit.js';

const zero = { packets: 0, bytes: 0, errors: 0, dropped: 0 };
const link = (name: string, kind: string | null, extra: Partial<Link> = {}): Link => ({
  ifindex: 1, name, kind, mtu: 1500, up: true, promisc: false, addrGenMode: 'eui64', rx: zero, tx: zero, ...extra,
});
const lines = (ops: readonly Operation[]) => ops.map((o) => argvOf(o).join(' '));

const EMPTY: TransmitKernelState = {
  links: [link('lo', null), link('ens3', null)], masters: new Map(), vethInAddresses: [], vethInNoArp: false,
  tunnels: [], sessions: [], qdiscs: new Map(), sessionRootQdisc: null, filters: [], ipv6: true, mirrorRpsMask: null, onlineCpus: [0, 1], police: [],
};

const CONF = parseTunnelConf('tunnel.conf', '10.10.10.10 10.10.10.11 ens3 i80\n');

/** The kernel as start leaves it (what readTransmitState would return), plus whatever `base` held. */
function started(conf = CONF, base: TransmitKernelState = EMPTY, packets = 0): TransmitKernelState {
  const ours = (name: string, kind: string | null) => link(name, kind, { mtu: 64000, promisc: true, addrGenMode: 'none' });
  const filters: TcFilter[] = mirrorFilters(conf).map((s: FilterSpec) => ({
    dev: conf.mirrorIf, hook: s.hook, pref: s.pref, protocol: s.protocol, kind: 'flower', handle: '1',
    keys: { ...(s.protocol === 'all' ? {} : { eth_type: s.protocol === 'ip' ? 'ipv4' : 'ipv6' }), ...keysOf(s.match) },
    mirred: s.action === 'mirror' ? { how: 'egress mirror', toDev: VETH_IN } : null,
    action: s.action === 'mirror' ? 'mirred' : 'gact', control: s.action === 'mirror' ? 'continue' : 'pass', police: s.police ?? [], packets, drops: 0,
  }));
  return {
    ...base,
    links: [...base.links, ours(VETH_IN, 'veth'), ours(VETH_OUT, 'veth'), ours(BRIDGE, 'bridge'), ours(SESSION_IF, null)],
    masters: new Map([[VETH_OUT, BRIDGE], [SESSION_IF, BRIDGE]]),
    vethInAddresses: ['169.254.115.1'], vethInNoArp: true, sessionRootQdisc: 'noqueue', mirrorRpsMask: 2n,
    tunnels: [...base.tunnels, { tunnelId: conf.tunnelId, peerTunnelId: conf.tunnelId, encap: conf.udpPort ? 'UDP' : 'IP', local: conf.transmitIp, peer: conf.receivingIp, localPort: conf.udpPort, peerPort: conf.udpPort }],
    sessions: [...base.sessions, { sessionId: conf.tunnelId, tunnelId: conf.tunnelId, peerSessionId: conf.tunnelId, peerTunnelId: conf.tunnelId, interface: SESSION_IF, cookie: conf.cookie, peerCookie: conf.cookie }],
    qdiscs: new Map([...base.qdiscs, [conf.mirrorIf, { dev: conf.mirrorIf, kind: base.qdiscs.get(conf.mirrorIf)?.kind ?? 'clsact' }]]),
    filters: [...base.filters, ...filters],
  };
}

test('start on a bare host: the exact commands, in order (objects, settings, up, then the mirror)', () => {
  const plan = planStart(CONF, EMPTY);
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(lines(plan.operations), [
    'ip link add ruei-veth1in type veth peer name ruei-veth1out',
    'ip link add ruei-br1 type bridge ageing_time 0 stp_state 0',
    'ip l2tp add tunnel tunnel_id 168430091 peer_tunnel_id 168430091 encap ip local 10.10.10.11 remote 10.10.10.10',
    'ip l2tp add session name ruei-tun1 tunnel_id 168430091 session_id 168430091 peer_session_id 168430091',
    'ip link set dev ruei-veth1in addrgenmode none',
    'ip link set dev ruei-veth1in mtu 64000',
    'ip link set dev ruei-veth1in promisc on',
    'ip link set dev ruei-veth1in arp off',
    'ip addr add 169.254.115.1/32 scope link dev ruei-veth1in',
    'ip link set dev ruei-veth1out addrgenmode none',
    'ip link set dev ruei-veth1out mtu 64000',
    'ip link set dev ruei-veth1out promisc on',
    'ip link set dev ruei-veth1out master ruei-br1',
    'ip link set dev ruei-veth1out type bridge_slave learning off',
    'write /sys/class/net/ruei-veth1out/queues/rx-0/rps_cpus 2',
    'ip link set dev ruei-tun1 addrgenmode none',
    'ip link set dev ruei-tun1 mtu 64000',
    'ip link set dev ruei-tun1 promisc on',
    'ip link set dev ruei-tun1 master ruei-br1',
    'ip link set dev ruei-tun1 type bridge_slave learning off',
    'tc qdisc replace dev ruei-tun1 root noqueue',
    'ip link set dev ruei-br1 addrgenmode none',
    'ip link set dev ruei-br1 mtu 64000',
    'ip link set dev ruei-br1 promisc on',
    'ip link set dev ruei-veth1in up',
    'ip link set dev ruei-veth1out up',
    'ip link set dev ruei-tun1 up',
    'ip link set dev ruei-br1 up',
    'tc qdisc add dev ens3 clsact',
    'tc filter add dev ens3 ingress pref 46101 protocol ip handle 1 flower ip_proto tcp dst_port 80 action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 egress pref 46101 protocol ip handle 1 flower ip_proto tcp src_port 80 action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 ingress pref 46102 protocol ipv6 handle 1 flower ip_proto tcp dst_port 80 action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 egress pref 46102 protocol ipv6 handle 1 flower ip_proto tcp src_port 80 action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 ingress pref 46103 protocol ip handle 1 flower ip_proto tcp ip_flags frag action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 egress pref 46103 protocol ip handle 1 flower ip_proto tcp ip_flags frag action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 ingress pref 46104 protocol ipv6 handle 1 flower ip_proto tcp ip_flags frag action mirred egress mirror dev ruei-veth1in continue',
    'tc filter add dev ens3 egress pref 46104 protocol ipv6 handle 1 flower ip_proto tcp ip_flags frag action mirred egress mirror dev ruei-veth1in continue',
  ]);
  // Every object-creating command carries its undo, so a failure half-way rolls back.
  const undos = plan.operations.filter((o) => o.undo).map((o) => argvOf(o.undo!).join(' '));
  assert.ok(undos.includes('ip link del ruei-veth1in'));
  assert.ok(undos.includes('ip l2tp del tunnel tunnel_id 168430091'));
  assert.ok(undos.includes('tc qdisc del dev ens3 clsact'));
});

test('oN swaps the port fields; "all" puts a pass guard for the tunnel\'s own packets before the mirror', () => {
  const out = mirrorFilters(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 o3306'));
  assert.deepEqual(out.slice(0, 2).map((s) => [s.hook, s.match.join(' ')]), [['ingress', 'ip_proto tcp src_port 3306'], ['egress', 'ip_proto tcp dst_port 3306']]);
  const all = mirrorFilters(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 all'));
  assert.deepEqual(all.map((s) => `${s.hook} ${s.pref} ${s.protocol} ${s.match.join(' ')} ${s.action}`), [
    'egress 46100 ip ip_proto 0x73 dst_ip 10.10.10.10 pass',
    'ingress 46101 all  mirror',
    'egress 46101 all  mirror',
  ]);
});

test('start on a started host changes nothing; stop is the exact inverse', () => {
  const state = started();
  assert.deepEqual(lines(planStart(CONF, state).operations), []);
  assert.deepEqual(lines(planStop(state)), [
    'tc filter del dev ens3 ingress pref 46101 protocol ip handle 1 flower',
    'tc filter del dev ens3 egress pref 46101 protocol ip handle 1 flower',
    'tc filter del dev ens3 ingress pref 46102 protocol ipv6 handle 1 flower',
    'tc filter del dev ens3 egress pref 46102 protocol ipv6 handle 1 flower',
    'tc filter del dev ens3 ingress pref 46103 protocol ip handle 1 flower',
    'tc filter del dev ens3 egress pref 46103 protocol ip handle 1 flower',
    'tc filter del dev ens3 ingress pref 46104 protocol ipv6 handle 1 flower',
    'tc filter del dev ens3 egress pref 46104 protocol ipv6 handle 1 flower',
    'tc qdisc del dev ens3 clsact',
    'ip l2tp del tunnel tunnel_id 168430091',
    'ip link del ruei-br1',
    'ip link del ruei-veth1in',
  ]);
  assert.deepEqual(planStop(EMPTY), [], 'stop on a bare host does nothing');
  assert.deepEqual(stateAfterStop(state), { ...EMPTY, masters: new Map(), sessionRootQdisc: null, mirrorRpsMask: null }, 'stop leaves exactly the state before start');
  assert.deepEqual(lines(planStart(CONF, stateAfterStop(state)).operations), lines(planStart(CONF, EMPTY).operations));
});

test('a foreign clsact with a foreign filter is reused and kept: stop removes only our filters', () => {
  const foreign: TcFilter = { dev: 'ens3', hook: 'ingress', pref: 10, protocol: 'ip', kind: 'u32', handle: '800::800', keys: null, mirred: null, action: 'gact', control: 'pass', police: [], packets: 5, drops: 0 };
  const base: TransmitKernelState = { ...EMPTY, qdiscs: new Map([['ens3', { dev: 'ens3', kind: 'clsact' }]]), filters: [foreign] };
  const plan = planStart(CONF, base);
  assert.deepEqual(plan.conflicts, []);
  assert.ok(!lines(plan.operations).some((l) => l.startsWith('tc qdisc') && l.includes('ens3')), 'no qdisc is added or removed on ens3');
  const stop = lines(planStop(started(CONF, base)));
  assert.ok(!stop.some((l) => l.startsWith('tc qdisc') && l.includes('ens3')), 'the foreign clsact stays');
  assert.ok(!stop.some((l) => l.includes('pref 10 ')), 'the foreign filter stays');
  assert.equal(stop.filter((l) => l.startsWith('tc filter del')).length, 8);
});

test('conflicts are found before any change: foreign ingress qdisc, foreign filter at our pref, tunnel ID in use, odd interfaces', () => {
  const ingress = planStart(CONF, { ...EMPTY, qdiscs: new Map([['ens3', { dev: 'ens3', kind: 'ingress' }]]) });
  assert.match(ingress.conflicts.join('\n'), /ens3 has an "ingress" qdisc that is not ours: it has no egress hook/);
  const atOurPref: TcFilter = { dev: 'ens3', hook: 'egress', pref: 46101, protocol: 'ip', kind: 'u32', handle: '800::800', keys: null, mirred: null, action: 'gact', control: 'drop', police: [], packets: 0, drops: 0 };
  const pref = planStart(CONF, { ...EMPTY, qdiscs: new Map([['ens3', { dev: 'ens3', kind: 'clsact' }]]), filters: [atOurPref] });
  assert.match(pref.conflicts.join('\n'), /egress has a filter at pref 46101 \(u32\) that is not ours/);
  const clash = planStart(CONF, { ...EMPTY, tunnels: [{ tunnelId: 168430091, peerTunnelId: 1, encap: 'IP', local: '10.10.10.11', peer: '10.9.9.9', localPort: null, peerPort: null }] });
  assert.match(clash.conflicts.join('\n'), /tunnel ID 168430091 is already used by another tunnel \(10\.10\.10\.11 -> 10\.9\.9\.9\).*field 5 of tunnel\.conf:1/);
  const odd = planStart(CONF, { ...EMPTY, links: [...EMPTY.links, link(BRIDGE, 'dummy')] });
  assert.match(odd.conflicts.join('\n'), /an interface ruei-br1 of kind dummy exists/);
});

test('a mirror budget: police actions made before the filters bind them, changed in place, removed after the filters', () => {
  const conf = parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i80 budget-mbit=200 budget-pps=20000');
  const fresh = lines(planStart(conf, EMPTY).operations);
  const bytes = 'tc actions add action police rate 200000000bit burst 250000 mtu 65536 conform-exceed continue/pipe index 46100 cookie 7578742d62000000000bebc200';
  assert.ok(fresh.includes(bytes), fresh.join('\n'));
  assert.ok(fresh.includes('tc actions add action police pkts_rate 20000 pkts_burst 200 conform-exceed continue/pipe index 46110 cookie 7578742d700000000000004e20'));
  const filter = 'tc filter add dev ens3 ingress pref 46101 protocol ip handle 1 flower ip_proto tcp dst_port 80 action police index 46100 action police index 46110 action mirred egress mirror dev ruei-veth1in continue';
  assert.ok(fresh.indexOf(bytes) < fresh.indexOf(filter), 'the police actions exist before a filter binds them');
  const police = [{ index: 46100, cookie: '7578742d62000000000bebc200', packets: 0, overlimits: 0 }, { index: 46110, cookie: '7578742d700000000000004e20', packets: 0, overlimits: 0 }];
  const running = { ...started(conf), police };
  assert.deepEqual(lines(planStart(conf, running).operations), [], 'the same budget changes nothing');
  const changed = lines(planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i80 budget-mbit=100 budget-pps=20000'), running).operations);
  assert.deepEqual(changed, ['tc actions change action police rate 100000000bit burst 131072 mtu 65536 conform-exceed continue/pipe index 46100 cookie 7578742d620000000005f5e100']);
  const removed = lines(planStart(CONF, running).operations);
  assert.equal(removed.filter((l) => l.startsWith('tc filter replace')).length, 8, 'every mirror filter is replaced without the police actions');
  assert.deepEqual(removed.slice(-2), ['tc actions delete action police index 46100', 'tc actions delete action police index 46110'], 'then the police actions go');
  const stop = lines(planStop(running));
  assert.deepEqual(stop.slice(9, 11), ['tc actions delete action police index 46100', 'tc actions delete action police index 46110'], 'stop removes them after the filters and the clsact');
  assert.deepEqual(stateAfterStop(running).police, []);
  const foreign = planStart(conf, { ...EMPTY, police: [{ index: 46100, cookie: null, packets: 0, overlimits: 0 }] });
  assert.match(foreign.conflicts.join('\n'), /police action with index 46100 exists that ux-tunnel-transmit did not create/);
});

test('a changed config converges: new ports replace the old filters, a new remote replaces the tunnel, an old NIC is cleaned', () => {
  const state = started();
  // i80 -> i8080: the new filters are added (at free prefs: flower cannot replace a filter by one with other keys)
  // before the old ones go, so the mirror has no gap; the fragment filters are not touched.
  const ports = lines(planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i8080'), state).operations);
  const added = ports.indexOf('tc filter add dev ens3 ingress pref 46105 protocol ip handle 1 flower ip_proto tcp dst_port 8080 action mirred egress mirror dev ruei-veth1in continue');
  assert.ok(added >= 0, ports.join('\n'));
  assert.ok(added < ports.indexOf('tc filter del dev ens3 ingress pref 46101 protocol ip handle 1 flower'), 'added before the old filter goes');
  assert.ok(!ports.some((l) => l.includes('replace')), 'no replace across different keys (EINVAL)');
  assert.ok(!ports.some((l) => l.includes('pref 46103')), 'the fragment filters did not change');
  // i80 -> i80,i443 (the README's example of an edit): only additions.
  const more = lines(planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i80,i443'), state).operations);
  assert.deepEqual(more.filter((l) => l.startsWith('tc filter')).map((l) => l.split(' flower')[0]), [
    'tc filter add dev ens3 ingress pref 46105 protocol ip handle 1', 'tc filter add dev ens3 egress pref 46105 protocol ip handle 1',
    'tc filter add dev ens3 ingress pref 46106 protocol ipv6 handle 1', 'tc filter add dev ens3 egress pref 46106 protocol ipv6 handle 1',
  ]);
  const all = lines(planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 all'), state).operations);
  assert.ok(all.findIndex((l) => l.includes('ingress pref 46105 protocol all')) < all.indexOf('tc filter del dev ens3 ingress pref 46101 protocol ip handle 1 flower'), 'the catch-all is added before the port filters go');
  assert.ok(all.findIndex((l) => l.includes('egress pref 46100 protocol ip')) < all.findIndex((l) => l.includes('egress pref 46105 protocol all')), 'the loop guard first');
  const remote = lines(planStart(parseTunnelConf('t', '10.10.10.20 10.10.10.11 ens3 i80'), state).operations);
  assert.deepEqual(remote.slice(0, 3), [
    'ip l2tp del tunnel tunnel_id 168430091',
    'ip l2tp add tunnel tunnel_id 168430091 peer_tunnel_id 168430091 encap ip local 10.10.10.11 remote 10.10.10.20',
    'ip l2tp add session name ruei-tun1 tunnel_id 168430091 session_id 168430091 peer_session_id 168430091',
  ]);
  const withEth1: TransmitKernelState = { ...state, links: [...state.links, link('eth1', null)] };
  const moved = lines(planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth1 i80'), withEth1).operations);
  assert.ok(moved.includes('tc qdisc add dev eth1 clsact'));
  assert.ok(moved.includes('tc qdisc del dev ens3 clsact'));
  assert.equal(moved.filter((l) => l.startsWith('tc filter del dev ens3')).length, 8);
});

test('an encrypted tunnel: WireGuard to the collector before the tunnel, removed after it by stop; without a key, a conflict', () => {
  const conf = { ...CONF, wireguard: 'vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=' };
  const key = { file: '/etc/ux-tunnel/transmit/wireguard.key', publicKey: 'C+ZrEgizUukN+o2ho9GhShuPF9M2ZWlHIvWk8JVPL3A=' };
  const lines = planStart(conf, EMPTY, key).operations.map((o) => [o.tool, ...o.args].join(' '));
  assert.equal(lines[0], 'ip rule add pref 4115 ipproto 115 lookup 4115');
  const peer = lines.findIndex((l) => l.startsWith(`wg set ruei-wg1 peer ${conf.wireguard} allowed-ips ${CONF.receivingIp}/32 endpoint ${CONF.receivingIp}:51871`));
  assert.ok(peer > 0 && peer < lines.findIndex((l) => l.startsWith('ip l2tp add tunnel')), lines.join('\n'));
  assert.match(planStart(conf, EMPTY, null).conflicts.join('\n'), /asks for encryption \(wireguard=\) but this host has no WireGuard key: run ux-tunnel-transmit keys/);
});

test('udp=: the tunnel over UDP from and to the port; the same config again is kept, another port remakes the tunnel', () => {
  const conf = parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i80 udp=1701');
  const lines = planStart(conf, EMPTY).operations.map((o) => [o.tool, ...o.args].join(' '));
  assert.ok(lines.includes('ip l2tp add tunnel tunnel_id 168430091 peer_tunnel_id 168430091 encap udp local 10.10.10.11 remote 10.10.10.10 udp_sport 1701 udp_dport 1701'), lines.join('\n'));
  const running = started(conf);
  assert.ok(!planStart(conf, running).operations.some((o) => o.args.includes('l2tp')), 'kept as it is');
  const other = planStart(parseTunnelConf('t', '10.10.10.10 10.10.10.11 ens3 i80 udp=1702'), running).operations.map((o) => [o.tool, ...o.args].join(' '));
  assert.equal(other[0], 'ip l2tp del tunnel tunnel_id 168430091');
  assert.match(other[1]!, /encap udp .* udp_sport 1702 udp_dport 1702$/);
});

test('another collector (moved web server): the tunnel is deleted, and the plan marks where to wait for its ID to be freed before it is added again', () => {
  const state = started();
  const plan = planStart({ ...CONF, receivingIp: '10.10.20.10' }, state);
  const ops = lines(plan.operations);
  assert.equal(plan.replacedTunnelId, 168430091);
  assert.equal(ops[plan.replaceDeletesEnd! - 1], 'ip l2tp del tunnel tunnel_id 168430091', 'the first part ends with the deletion');
  assert.match(ops[plan.replaceDeletesEnd!]!, /^ip l2tp add tunnel tunnel_id 168430091 peer_tunnel_id 168430091 encap ip local 10\.10\.10\.11 remote 10\.10\.20\.10/);
  assert.ok(!ops.some((l) => l.startsWith('tc filter')), 'the mirror filters are not touched');
  assert.equal(planStart(CONF, state).replaceDeletesEnd, 0, 'nothing replaced: no wait');
});

test('encrypted: the count of WireGuard\'s sent packets is made just before the tunnel, so both count from zero; removed with it', () => {
  const conf = { ...CONF, wireguard: 'vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=' };
  const key = { file: '/etc/ux-tunnel/transmit/wireguard.key', publicKey: 'C+ZrEgizUukN+o2ho9GhShuPF9M2ZWlHIvWk8JVPL3A=' };
  const counter = [
    'nft add table ip ux_tunnel_wg_sent',
    'nft add counter ip ux_tunnel_wg_sent data',
    'nft add chain ip ux_tunnel_wg_sent count { type filter hook output priority 0 ; policy accept ; }',
    'nft add rule ip ux_tunnel_wg_sent count ip daddr 10.10.10.10 udp dport 51871 @th,64,8 4 udp length > 40 counter name data',
  ];
  const fresh = lines(planStart(conf, { ...EMPTY, wgSent: 'absent' }, key).operations);
  const tunnel = fresh.findIndex((l) => l.startsWith('ip l2tp add tunnel'));
  assert.deepEqual(fresh.slice(tunnel - counter.length, tunnel), counter, fresh.join('\n'));
  assert.ok(!lines(planStart(conf, { ...EMPTY, wgSent: 'unavailable' }, key).operations).some((l) => l.startsWith('nft')), 'no nftables: nothing to count with');

  // A running encrypted tunnel without the count (an older version made it): remade, the count just before it.
  const running = { ...started(conf), wgSent: 'absent' as const };
  const remade = planStart(conf, running, key);
  const ops = lines(remade.operations);
  assert.equal(ops[remade.replaceDeletesEnd! - 1], 'ip l2tp del tunnel tunnel_id 168430091');
  assert.deepEqual(ops.slice(remade.replaceDeletesEnd!, remade.replaceDeletesEnd! + counter.length), counter);
  // With it: kept; moved to another collector: the count made anew with the tunnel (for the new address).
  assert.ok(!lines(planStart(conf, { ...running, wgSent: 'present' }, key).operations).some((l) => /^nft|l2tp/.test(l)), 'kept as it is');
  const moved = lines(planStart({ ...conf, receivingIp: '10.10.20.10' }, { ...running, wgSent: 'present' }, key).operations);
  const del = moved.indexOf('nft delete table ip ux_tunnel_wg_sent');
  assert.ok(del > moved.indexOf('ip l2tp del tunnel tunnel_id 168430091') && del < moved.findIndex((l) => l.startsWith('ip l2tp add tunnel')), moved.join('\n'));
  assert.ok(moved.some((l) => l.includes('ip daddr 10.10.20.10 udp dport 51871')));
  // No longer encrypted: the count goes, the tunnel stays; stop removes it after the tunnel.
  assert.deepEqual(lines(planStart(CONF, { ...started(), wgSent: 'present' }).operations), ['nft delete table ip ux_tunnel_wg_sent']);
  const stop = lines(planStop({ ...running, wgSent: 'present' }));
  assert.ok(stop.indexOf('nft delete table ip ux_tunnel_wg_sent') > stop.indexOf('ip l2tp del tunnel tunnel_id 168430091'), stop.join('\n'));
  assert.equal(stateAfterStop({ ...running, wgSent: 'present' }).wgSent, 'absent');
});
