import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePinTable, PIN_TABLE, planPin, removePin, type PinState } from './source-pin.js';

const A = { receivingIp: '10.0.0.3', transmitIp: '10.0.0.2' };
const B = { receivingIp: '10.0.0.3', transmitIp: '10.0.0.9' };
const C = { receivingIp: '10.0.1.3', transmitIp: '10.0.0.7' };
const argv = (ops: { tool: string; args: readonly string[] }[]) => ops.map((o) => `${o.tool} ${o.args.join(' ')}`);

test('start with pinning on: the table, its sets filled, then the chain and its rules (an encrypted sender sealed: never in clear; a UDP tunnel\'s port pinned)', () => {
  const plan = planPin([A, { ...B, udpPort: 1701 }, { ...C, wireguard: 'k' }], { kind: 'absent' }, 'on');
  assert.equal(plan.problem, null);
  assert.deepEqual(plan.after, []);
  assert.deepEqual(argv(plan.before), [
    `nft add table ip ${PIN_TABLE}`,
    `nft add set ip ${PIN_TABLE} receivers { type ipv4_addr ; }`,
    `nft add set ip ${PIN_TABLE} senders { type ipv4_addr . ipv4_addr ; }`,
    `nft add set ip ${PIN_TABLE} sealed { type ipv4_addr . ipv4_addr ; }`,
    `nft add set ip ${PIN_TABLE} udp_ends { type ipv4_addr . inet_service ; }`,
    `nft add set ip ${PIN_TABLE} open { type ipv4_addr . ipv4_addr ; }`,
    `nft add set ip ${PIN_TABLE} refused { type ipv4_addr ; size 65536 ; flags dynamic ; }`,
    `nft add element ip ${PIN_TABLE} receivers { 10.0.0.3, 10.0.1.3 }`,
    `nft add element ip ${PIN_TABLE} senders { 10.0.0.2 . 10.0.0.3, 10.0.0.9 . 10.0.0.3, 10.0.0.7 . 10.0.1.3 }`,
    `nft add element ip ${PIN_TABLE} sealed { 10.0.0.7 . 10.0.1.3 }`,
    `nft add element ip ${PIN_TABLE} udp_ends { 10.0.0.3 . 1701 }`,
    `nft add element ip ${PIN_TABLE} open { 10.0.0.2 . 10.0.0.3, 10.0.0.9 . 10.0.0.3 }`,
    `nft add chain ip ${PIN_TABLE} pin { type filter hook prerouting priority -450 ; policy accept ; }`,
    `nft add rule ip ${PIN_TABLE} pin ip protocol 115 ip saddr . ip daddr @open accept`,
    `nft add rule ip ${PIN_TABLE} pin ip protocol 115 iifname != ruei-wg0 ip daddr @receivers ip saddr . ip daddr != @senders update @refused { ip saddr counter } drop`,
    `nft add rule ip ${PIN_TABLE} pin ip protocol 115 iifname != ruei-wg0 ip saddr . ip daddr @sealed update @refused { ip saddr counter } drop`,
    `nft add rule ip ${PIN_TABLE} pin udp dport 51871 ip daddr @receivers ip saddr . ip daddr != @senders update @refused { ip saddr counter } drop`,
    `nft add rule ip ${PIN_TABLE} pin ip daddr . udp dport @udp_ends ip saddr . ip daddr != @senders update @refused { ip saddr counter } drop`,
  ]);
  assert.deepEqual(argv([plan.before[0]!.undo!]), [`nft delete table ip ${PIN_TABLE}`], 'a failed start removes the table');
});

test('reload: new senders allowed before, removed ones refused after, the fast path\'s pairs out first and in last; nothing when nothing changed', () => {
  const open = ['10.0.0.2 . 10.0.0.3', '10.0.0.9 . 10.0.0.3'];
  const state: PinState = { kind: 'present', receivers: ['10.0.0.3'], senders: open, sealed: [], udpEnds: ['10.0.0.3 . 1702'], open };
  const plan = planPin([A, { ...C, udpPort: 1701 }], state, 'keep');
  assert.deepEqual(argv(plan.before), [
    `nft delete element ip ${PIN_TABLE} open { 10.0.0.9 . 10.0.0.3 }`,
    `nft add element ip ${PIN_TABLE} receivers { 10.0.1.3 }`, `nft add element ip ${PIN_TABLE} senders { 10.0.0.7 . 10.0.1.3 }`,
    `nft add element ip ${PIN_TABLE} udp_ends { 10.0.1.3 . 1701 }`,
  ]);
  assert.deepEqual(argv(plan.after), [
    `nft delete element ip ${PIN_TABLE} udp_ends { 10.0.0.3 . 1702 }`, `nft delete element ip ${PIN_TABLE} senders { 10.0.0.9 . 10.0.0.3 }`,
    `nft add element ip ${PIN_TABLE} open { 10.0.0.7 . 10.0.1.3 }`,
  ]);
  assert.deepEqual(argv([plan.after[1]!.undo!]), [`nft add element ip ${PIN_TABLE} senders { 10.0.0.9 . 10.0.0.3 }`]);
  const same = planPin([A, B], { ...state, udpEnds: [] }, 'on');
  assert.deepEqual([same.before, same.after], [[], []]);
});

test('a sender becoming encrypted leaves the fast path before it is sealed; back in clear, it returns after it is unsealed', () => {
  const pair = '10.0.0.2 . 10.0.0.3';
  const clear: PinState = { kind: 'present', receivers: ['10.0.0.3'], senders: [pair], sealed: [], udpEnds: [], open: [pair] };
  const toSealed = planPin([{ ...A, wireguard: 'k' }], clear, 'keep');
  assert.deepEqual(argv(toSealed.before), [`nft delete element ip ${PIN_TABLE} open { ${pair} }`, `nft add element ip ${PIN_TABLE} sealed { ${pair} }`]);
  assert.deepEqual(toSealed.after, []);
  const toClear = planPin([A], { ...clear, sealed: [pair], open: [] }, 'keep');
  assert.deepEqual(toClear.before, []);
  assert.deepEqual(argv(toClear.after), [`nft delete element ip ${PIN_TABLE} sealed { ${pair} }`, `nft add element ip ${PIN_TABLE} open { ${pair} }`]);
});

test('keep never creates the table (config add on a collector started without pinning); off removes it', () => {
  assert.deepEqual(planPin([A], { kind: 'absent' }, 'keep'), { before: [], after: [], problem: null });
  const present: PinState = { kind: 'present', receivers: ['10.0.0.3'], senders: ['10.0.0.2 . 10.0.0.3'], sealed: [], udpEnds: [], open: ['10.0.0.2 . 10.0.0.3'] };
  assert.deepEqual(argv(planPin([A], present, 'off').after), [`nft delete table ip ${PIN_TABLE}`]);
  assert.deepEqual(argv(removePin(present)), [`nft delete table ip ${PIN_TABLE}`]);
  assert.deepEqual(removePin({ kind: 'absent' }), []);
});

test('pinning asked for without nftables is a problem that says what to do; off, or no tunnels, is not', () => {
  assert.match(planPin([A], { kind: 'unavailable' }, 'on').problem ?? '', /source pinning needs nftables .*install the nftables package, or start with --source-pinning off/);
  assert.equal(planPin([A], { kind: 'unavailable' }, 'off').problem, null);
  assert.equal(planPin([], { kind: 'unavailable' }, 'on').problem, null);
});

test('the table as nft -j lists it', () => {
  const json = JSON.stringify({ nftables: [
    { metainfo: { version: '1.0.6' } },
    { table: { family: 'ip', name: PIN_TABLE } },
    { set: { family: 'ip', name: 'receivers', table: PIN_TABLE, type: 'ipv4_addr', elem: ['10.0.0.3'] } },
    { set: { family: 'ip', name: 'senders', table: PIN_TABLE, type: ['ipv4_addr', 'ipv4_addr'], elem: [{ concat: ['10.0.0.2', '10.0.0.3'] }] } },
    { set: { family: 'ip', name: 'refused', table: PIN_TABLE, type: 'ipv4_addr', elem: [{ elem: { val: '10.9.9.9', counter: { packets: 12, bytes: 900 } } }] } },
  ] });
  assert.deepEqual(parsePinTable(json), { kind: 'present', receivers: ['10.0.0.3'], senders: ['10.0.0.2 . 10.0.0.3'], sealed: null, udpEnds: null, open: null }, 'a table of before encryption: no sealed set');
  const v2 = JSON.parse(json) as { nftables: unknown[] };
  v2.nftables.push({ set: { family: 'ip', name: 'sealed', table: PIN_TABLE, type: ['ipv4_addr', 'ipv4_addr'], elem: [{ concat: ['10.0.0.2', '10.0.0.3'] }] } });
  assert.deepEqual(parsePinTable(JSON.stringify(v2)), { kind: 'present', receivers: ['10.0.0.3'], senders: ['10.0.0.2 . 10.0.0.3'], sealed: ['10.0.0.2 . 10.0.0.3'], udpEnds: null, open: null });
  v2.nftables.push({ set: { family: 'ip', name: 'udp_ends', table: PIN_TABLE, type: ['ipv4_addr', 'inet_service'], elem: [{ concat: ['10.0.0.3', 1701] }] } });
  assert.deepEqual(parsePinTable(JSON.stringify(v2)), { kind: 'present', receivers: ['10.0.0.3'], senders: ['10.0.0.2 . 10.0.0.3'], sealed: ['10.0.0.2 . 10.0.0.3'], udpEnds: ['10.0.0.3 . 1701'], open: null });
  v2.nftables.push({ set: { family: 'ip', name: 'open', table: PIN_TABLE, type: ['ipv4_addr', 'ipv4_addr'] } });
  assert.deepEqual(parsePinTable(JSON.stringify(v2)), { kind: 'present', receivers: ['10.0.0.3'], senders: ['10.0.0.2 . 10.0.0.3'], sealed: ['10.0.0.2 . 10.0.0.3'], udpEnds: ['10.0.0.3 . 1701'], open: [] });
  // That older table is made again by the next start, reload or config change.
  assert.equal(argv(planPin([A], parsePinTable(json), 'keep').before)[0], `nft delete table ip ${PIN_TABLE}`);
});
