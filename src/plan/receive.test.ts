import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReceive, planReceiveStop } from './receive.js';
import { argvOf, type Operation } from './operation.js';
import { formatArgv } from '../kernel/exec.js';
import type { ReceiveTunnel } from '../config/tunnels.js';
import { formatIPv4 } from '../config/values.js';
import { applyFake, emptyKernel, newLink, stateOf, type FakeKernel } from '../../test/fixtures/fake-receive-kernel.js';

const show = (ops: readonly Operation[]) => ops.map((o) => formatArgv(argvOf(o)));

function tunnel(n: number, line = n, id?: number): ReceiveTunnel {
  const transmitIp = formatIPv4(0x0a000000 + 0x10000 + n); // 10.1.x.y
  return { line, receivingIp: '10.0.0.1', transmitIp, tunnelId: id ?? 0x0a010000 + n, explicitId: id !== undefined, cookie: null, wireguard: null, udpPort: null };
}
const many = (count: number, from = 1) => Array.from({ length: count }, (_, i) => tunnel(from + i, from + i));

function started(desired: readonly ReceiveTunnel[]): FakeKernel {
  const k = emptyKernel();
  const plan = planReceive(desired, stateOf(k));
  assert.deepEqual(plan.conflicts, []);
  applyFake(k, plan.operations);
  return k;
}

test('start on an empty kernel: aggregation, then each tunnel, its qdisc on the shared block, the filter, then up', () => {
  const plan = planReceive([tunnel(1), tunnel(2, 2, 7)], stateOf(emptyKernel()));
  assert.deepEqual(show(plan.operations), [
    'ip link add ruei-mtun type dummy',
    'ip link set dev ruei-mtun addrgenmode none',
    'ip link set dev ruei-mtun mtu 64000 promisc on up',
    'ip l2tp add tunnel tunnel_id 167837697 peer_tunnel_id 167837697 encap ip local 10.0.0.1 remote 10.1.0.1',
    'ip l2tp add session name ruei-mtun-00000 tunnel_id 167837697 session_id 167837697 peer_session_id 167837697',
    'ip link set dev ruei-mtun-00000 addrgenmode none',
    'ip link set dev ruei-mtun-00000 mtu 64000 promisc on',
    'ip l2tp add tunnel tunnel_id 7 peer_tunnel_id 7 encap ip local 10.0.0.1 remote 10.1.0.2',
    'ip l2tp add session name ruei-mtun-00001 tunnel_id 7 session_id 7 peer_session_id 7',
    'ip link set dev ruei-mtun-00001 addrgenmode none',
    'ip link set dev ruei-mtun-00001 mtu 64000 promisc on',
    'tc qdisc add dev ruei-mtun-00000 ingress_block 1381320009 clsact',
    'tc qdisc add dev ruei-mtun-00001 ingress_block 1381320009 clsact',
    'tc filter add block 1381320009 pref 49000 protocol all matchall action mirred egress mirror dev ruei-mtun',
    'ip link set dev ruei-mtun-00000 up',
    'ip link set dev ruei-mtun-00001 up',
  ]);
  assert.deepEqual(plan.added.map((a) => a.ifname), ['ruei-mtun-00000', 'ruei-mtun-00001']);
  // Rollback: the tunnel adds, the aggregation and the filter carry their undo.
  assert.equal(show(plan.operations.flatMap((o) => (o.undo ? [o.undo] : [])))[0], 'ip link del dev ruei-mtun');
});

test('without IPv6 in the kernel there is no addrgenmode to set', () => {
  const plan = planReceive([tunnel(1)], { ...stateOf(emptyKernel()), ipv6: false });
  assert.ok(!show(plan.operations).some((l) => l.includes('addrgenmode')));
});

test('start twice: the second plan is empty and keeps every tunnel', () => {
  const k = started([tunnel(1), tunnel(2), tunnel(3)]);
  const again = planReceive([tunnel(1), tunnel(2), tunnel(3)], stateOf(k));
  assert.deepEqual(show(again.operations), []);
  assert.equal(again.kept.length, 3);
});

test('1000 tunnels: one plan, then a reload that adds one issues only that tunnel\'s operations', () => {
  const thousand = many(1000);
  const first = planReceive(thousand, stateOf(emptyKernel()));
  assert.equal(first.operations.length, 3 + 1000 * 6 + 1);
  assert.equal(first.replaceDeletesEnd, 0);
  const k = emptyKernel();
  applyFake(k, first.operations);
  assert.equal(k.sessions.length, 1000);
  assert.equal(k.links.filter((l) => l.name.startsWith('ruei-mtun-')).length, 1000);
  const extra = tunnel(1001);
  const reload = planReceive([...thousand, extra], stateOf(k));
  assert.equal(reload.kept.length, 1000);
  assert.equal(reload.operations.length, 6, show(reload.operations).join('\n'));
  for (const line of show(reload.operations)) assert.ok(line.includes('ruei-mtun-01000') || line.includes(String(extra.tunnelId)), line);
  applyFake(k, reload.operations);
  assert.deepEqual(planReceive([...thousand, extra], stateOf(k)).operations, []);
});

test('reload removing a tunnel deletes only its L2TP tunnel; kept tunnels keep names and ifindex', () => {
  const k = started([tunnel(1), tunnel(2), tunnel(3)]);
  const before = new Map(k.links.map((l) => [l.name, l.ifindex]));
  const plan = planReceive([tunnel(1), tunnel(3)], stateOf(k));
  assert.deepEqual(show(plan.operations), [`ip l2tp del tunnel tunnel_id ${tunnel(2).tunnelId}`]);
  applyFake(k, plan.operations);
  assert.equal(k.links.find((l) => l.name === 'ruei-mtun-00000')!.ifindex, before.get('ruei-mtun-00000'));
  assert.equal(k.links.find((l) => l.name === 'ruei-mtun-00002')!.ifindex, before.get('ruei-mtun-00002'));
  // A new tunnel takes the lowest free number, the one just freed.
  const next = planReceive([tunnel(1), tunnel(3), tunnel(4)], stateOf(k));
  assert.deepEqual(next.added.map((a) => a.ifname), ['ruei-mtun-00001']);
});

test('a reload that swaps tunnels adds before it deletes, and numbers stay unique while both exist', () => {
  const k = started([tunnel(1), tunnel(2)]);
  const plan = planReceive([tunnel(1), tunnel(5)], stateOf(k));
  const lines = show(plan.operations);
  const lastAdd = lines.map((l) => / add |link set/.test(l)).lastIndexOf(true);
  const firstDel = lines.findIndex((l) => l.includes(' del '));
  assert.ok(lastAdd < firstDel, lines.join('\n'));
  assert.deepEqual(plan.added.map((a) => a.ifname), ['ruei-mtun-00002']);
  applyFake(k, plan.operations);
  // The last tunnel deleted, the block keeps its filter because the new qdisc was bound first.
  assert.deepEqual(planReceive([tunnel(1), tunnel(5)], stateOf(k)).operations, []);
});

test('an owned tunnel with other addresses than configured is replaced, under a fresh name (the old one leaves asynchronously)', () => {
  const k = started([tunnel(1), tunnel(2)]);
  const moved = { ...tunnel(2), transmitIp: '10.9.9.9' };
  const plan = planReceive([tunnel(1), moved], stateOf(k));
  assert.deepEqual(plan.replaced.map((r) => r.ifname), ['ruei-mtun-00002']);
  const lines = show(plan.operations);
  assert.equal(lines[0], `ip l2tp del tunnel tunnel_id ${moved.tunnelId}`);
  assert.equal(plan.replaceDeletesEnd, 1, 'the delete is applied (and waited for) before the same IDs are added again');
  assert.match(lines[1]!, /l2tp add tunnel .* remote 10\.9\.9\.9$/);
  assert.ok(lines.every((l) => !l.includes('ruei-mtun-00000')));
  applyFake(k, plan.operations);
  assert.deepEqual(planReceive([tunnel(1), moved], stateOf(k)).operations, []);
});

test('an orphan tunnel (crash between tunnel and session add) with a configured ID is recreated', () => {
  const k = emptyKernel();
  applyFake(k, planReceive([tunnel(1)], stateOf(k)).operations.slice(0, 4)); // aggregation + tunnel add only
  const plan = planReceive([tunnel(1)], stateOf(k));
  assert.equal(show(plan.operations)[0], `ip l2tp del tunnel tunnel_id ${tunnel(1).tunnelId}`);
  applyFake(k, plan.operations);
  assert.deepEqual(planReceive([tunnel(1)], stateOf(k)).operations, []);
});

test('drift on a kept tunnel is repaired in place: interface down, qdisc gone', () => {
  const k = started([tunnel(1), tunnel(2)]);
  k.links = k.links.map((l) => (l.name === 'ruei-mtun-00001' ? { ...l, up: false } : l));
  k.qdiscs.delete('ruei-mtun-00000');
  const plan = planReceive([tunnel(1), tunnel(2)], stateOf(k));
  assert.deepEqual(show(plan.operations), [
    'ip link set dev ruei-mtun-00001 mtu 64000 promisc on up',
    'tc qdisc add dev ruei-mtun-00000 ingress_block 1381320009 clsact',
  ]);
  assert.equal(plan.repaired.length, 2);
});

test('ruei-mtun deleted behind our back: recreated, and the filter that lost its target replaced', () => {
  const k = started([tunnel(1)]);
  k.links = k.links.filter((l) => l.name !== 'ruei-mtun');
  k.filters.set(0x52554549, [{ pref: 49000, kind: 'matchall', mirred: 'egress mirror', toDev: null }]);
  const lines = show(planReceive([tunnel(1)], stateOf(k)).operations);
  assert.deepEqual(lines, [
    'ip link add ruei-mtun type dummy',
    'ip link set dev ruei-mtun addrgenmode none',
    'ip link set dev ruei-mtun mtu 64000 promisc on up',
    'tc filter del block 1381320009 pref 49000',
    'tc filter add block 1381320009 pref 49000 protocol all matchall action mirred egress mirror dev ruei-mtun',
  ]);
});

test('tunnel or session IDs held by objects we do not own are conflicts, reported before anything is applied', () => {
  const k = emptyKernel();
  applyFake(k, [
    { tool: 'ip', args: ['l2tp', 'add', 'tunnel', 'tunnel_id', String(tunnel(1).tunnelId), 'peer_tunnel_id', '1', 'encap', 'ip', 'local', '10.0.0.1', 'remote', '10.5.5.5'] },
    { tool: 'ip', args: ['l2tp', 'add', 'session', 'name', 'l2tpeth0', 'tunnel_id', String(tunnel(1).tunnelId), 'session_id', '99', 'peer_session_id', '99'] },
    { tool: 'ip', args: ['l2tp', 'add', 'tunnel', 'tunnel_id', '5', 'peer_tunnel_id', '5', 'encap', 'ip', 'local', '10.0.0.1', 'remote', '10.5.5.6'] },
    { tool: 'ip', args: ['l2tp', 'add', 'session', 'name', 'other0', 'tunnel_id', '5', 'session_id', String(tunnel(2).tunnelId), 'peer_session_id', '5'] },
  ]);
  const plan = planReceive([tunnel(1), tunnel(2), tunnel(3)], stateOf(k));
  assert.equal(plan.conflicts.length, 2);
  assert.match(plan.conflicts[0]!, /line 1: .*does not own \(session interfaces l2tpeth0\)/);
  assert.match(plan.conflicts[1]!, /line 2: .*session ID .* other0/);
  // Foreign objects are never deleted.
  assert.ok(show(plan.operations).every((l) => !l.includes('del')));
});

test('stop removes every owned object and nothing else; stop on a clean kernel does nothing', () => {
  const k = started([tunnel(1), tunnel(2)]);
  newLink(k, 'eth0', 'veth');
  newLink(k, 'ruei-mtun-00007', 'dummy'); // a stray interface of ours
  const ops = planReceiveStop(stateOf(k));
  assert.deepEqual(show(ops), [
    'tc filter del block 1381320009 pref 49000',
    `ip l2tp del tunnel tunnel_id ${tunnel(1).tunnelId}`,
    `ip l2tp del tunnel tunnel_id ${tunnel(2).tunnelId}`,
    'ip link del dev ruei-mtun-00007',
    'ip link del dev ruei-mtun',
  ]);
  applyFake(k, ops);
  assert.deepEqual(k.links.map((l) => l.name), ['eth0']);
  assert.deepEqual([k.tunnels, k.sessions, [...k.qdiscs.keys()], [...k.filters.values()].flat()], [[], [], [], []]);
  assert.deepEqual(planReceiveStop(stateOf(k)), []);
});

test('a cookie goes on the session both ways (shown hidden); a changed cookie remakes only that tunnel, an unchanged one is kept', () => {
  const cookie = (t: ReceiveTunnel, value: string | null): ReceiveTunnel => ({ ...t, cookie: value });
  const k = started([cookie(tunnel(1), '0123456789abcdef'), tunnel(2)]);
  assert.deepEqual(k.sessions.map((s) => [s.cookie, s.peerCookie]), [['0123456789abcdef', '0123456789abcdef'], [null, null]]);
  const same = planReceive([cookie(tunnel(1), '0123456789abcdef'), tunnel(2)], stateOf(k));
  assert.deepEqual(show(same.operations), []);
  const changed = planReceive([cookie(tunnel(1), '1111111111111111'), tunnel(2)], stateOf(k));
  assert.deepEqual(changed.replaced.map((r) => r.tunnel.line), [1]);
  assert.deepEqual(changed.kept.map((r) => r.tunnel.line), [2]);
  const printed = show(changed.operations).join('\n');
  assert.match(printed, /ip l2tp add session name ruei-mtun-00002 tunnel_id 167837697 session_id 167837697 peer_session_id 167837697 cookie '<hidden>' peer_cookie '<hidden>'/);
  assert.ok(!printed.includes('1111111111111111'));
});

test('encrypted tunnels: one WireGuard peer each, allowed from the transmit-side-ip and, behind NAT, the tunnel ID\'s address; made before the tunnels', () => {
  const key = { file: '/etc/ux-tunnel/receive/wireguard.key', publicKey: 'vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=' };
  const web = 'C+ZrEgizUukN+o2ho9GhShuPF9M2ZWlHIvWk8JVPL3A=';
  const natted: ReceiveTunnel = { ...tunnel(2, 2, 0x0a02000d), wireguard: web };
  const plan = planReceive([tunnel(1), natted], stateOf(emptyKernel()), 'keep', key);
  const lines = show(plan.operations);
  const peer = lines.indexOf(`wg set ruei-wg0 peer ${web} allowed-ips 10.1.0.2/32,10.2.0.13/32`);
  assert.ok(peer > 0, lines.join('\n'));
  assert.ok(lines.indexOf('wg set ruei-wg0 private-key /etc/ux-tunnel/receive/wireguard.key listen-port 51871') < peer);
  assert.ok(peer < lines.findIndex((l) => l.startsWith('ip l2tp add tunnel')), 'encryption is in place before any tunnel');
  assert.ok(lines.indexOf('ip route add blackhole 10.2.0.13/32 table 4115 metric 4115') < lines.indexOf('ip link add ruei-wg0 type wireguard'));
  assert.match(planReceive([natted], stateOf(emptyKernel()), 'keep', null).conflicts.join('\n'), /line\(s\) 2 ask for encryption .* run ux-tunnel-receive keys/);
});

test('udp=: the tunnel over UDP from and to its port; a changed port remakes it; a port passed from a removed tunnel to a new one is freed first', () => {
  const udp = (t: ReceiveTunnel, port: number | null): ReceiveTunnel => ({ ...t, udpPort: port });
  const k = started([udp(tunnel(1), 1701), tunnel(2)]);
  assert.deepEqual(k.tunnels.map((t) => [t.encap, t.localPort, t.peerPort]), [['UDP', 1701, 1701], ['IP', null, null]]);
  assert.deepEqual(show(planReceive([udp(tunnel(1), 1701), tunnel(2)], stateOf(k)).operations), [], 'unchanged: nothing to do');
  const moved = planReceive([udp(tunnel(1), 1702), udp(tunnel(2), 1701)], stateOf(k));
  assert.deepEqual(moved.replaced.map((r) => r.tunnel.line), [1, 2]);
  const lines = show(moved.operations);
  assert.ok(lines.includes('ip l2tp add tunnel tunnel_id 167837697 peer_tunnel_id 167837697 encap udp local 10.0.0.1 remote 10.1.0.1 udp_sport 1702 udp_dport 1702'), lines.join('\n'));
  // Tunnel 3 takes the port of tunnel 1, which the reload removes: removed before (the kernel binds one socket a port).
  const swap = planReceive([udp(tunnel(3), 1701), tunnel(2)], stateOf(k));
  const order = show(swap.operations);
  assert.ok(order.indexOf('ip l2tp del tunnel tunnel_id 167837697') < order.findIndex((l) => l.includes('udp_sport 1701')), order.join('\n'));
  applyFake(k, swap.operations); // the fake kernel refuses a second socket on one port, as the kernel does
  assert.deepEqual(k.tunnels.map((t) => [t.tunnelId, t.localPort]), [[0x0a010002, null], [0x0a010003, 1701]]);
});

test('replacing the only tunnel (its cookie or port changed): the shared block goes with its last interface, so the filter is added again', () => {
  const k = started([tunnel(1)]);
  const changed = planReceive([{ ...tunnel(1), udpPort: 1701 }], stateOf(k));
  applyFake(k, changed.operations); // the fake kernel, like the kernel, drops a block no qdisc binds any more
  assert.equal(stateOf(k).blockFilters.length, 1, show(changed.operations).join('\n'));
  // With a second tunnel kept, the block stays and its filter is left alone.
  const two = started([tunnel(1), tunnel(2)]);
  const one = planReceive([{ ...tunnel(1), cookie: '0123456789abcdef' }, tunnel(2)], stateOf(two));
  assert.ok(!show(one.operations).some((l) => l.startsWith('tc filter')), show(one.operations).join('\n'));
  applyFake(two, one.operations);
  assert.equal(stateOf(two).blockFilters.length, 1);
});
