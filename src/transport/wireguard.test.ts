import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handshakeProblem, NO_WG, newPrivateKey, parsePublicKey, planWireguard, publicKeyOf, removeWireguard, type WgDesired, type WgState } from './wireguard.js';
import { formatArgv } from '../kernel/exec.js';
import { argvOf } from '../plan/operation.js';

const show = (ops: readonly { tool: string; args: readonly string[] }[]) => ops.map((o) => formatArgv(argvOf(o as never)));
const COLLECTOR = 'vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=';
const WEB = 'C+ZrEgizUukN+o2ho9GhShuPF9M2ZWlHIvWk8JVPL3A=';
const TRANSMIT: WgDesired = {
  ifname: 'ruei-wg1', keyFile: '/etc/ux-tunnel/transmit/wireguard.key', publicKey: WEB, listenPort: null,
  peers: [{ publicKey: COLLECTOR, addresses: ['10.1.0.10'], endpoint: '10.1.0.10:51871' }],
};

test('keys: the public key of a private key is what wg pubkey says; a new key is 32 random bytes; public keys are checked', () => {
  assert.equal(publicKeyOf('QFZ3H7lSwyAwe2D4u6UyMynKQ01tCDMu0GUD5mrb9Vs=\n'), COLLECTOR);
  assert.equal(publicKeyOf('not a key'), null);
  const key = newPrivateKey();
  assert.equal(Buffer.from(key, 'base64').length, 32);
  assert.notEqual(key, newPrivateKey());
  assert.equal(parsePublicKey(COLLECTOR), COLLECTOR);
  assert.match((parsePublicKey('abc') as { reason: string }).reason, /not a WireGuard public key \(44 characters of base64/);
});

test('encryption on a bare host: fail closed first (rule, blackhole), then the interface, key, peer, up, the route in front', () => {
  const plan = planWireguard(TRANSMIT, NO_WG, 'ruei-wg1');
  assert.deepEqual(plan.conflicts, []);
  assert.deepEqual(show(plan.before), [
    'ip rule add pref 4115 ipproto 115 lookup 4115',
    'ip route add blackhole 10.1.0.10/32 table 4115 metric 4115',
    'ip link add ruei-wg1 type wireguard',
    'wg set ruei-wg1 private-key /etc/ux-tunnel/transmit/wireguard.key',
    `wg set ruei-wg1 peer ${COLLECTOR} allowed-ips 10.1.0.10/32 endpoint 10.1.0.10:51871`,
    'ip link set dev ruei-wg1 mtu 65000 up',
    'ip route add 10.1.0.10/32 dev ruei-wg1 table 4115',
  ]);
  assert.deepEqual(plan.after, []);
});

test('as configured: nothing to do; a changed peer key is set, the old peer removed after; stop removes the rule last', () => {
  const state: WgState = {
    linkKind: 'wireguard', publicKey: WEB, listenPort: null, peers: new Map([[COLLECTOR, ['10.1.0.10']]]),
    routes: new Map([['10.1.0.10', new Set(['dev', 'blackhole'] as const)]]), rule: true,
  };
  assert.deepEqual(show(planWireguard(TRANSMIT, state, 'ruei-wg1').before), ['ip link set dev ruei-wg1 mtu 65000 up']);
  const rekeyed = planWireguard({ ...TRANSMIT, peers: [{ ...TRANSMIT.peers[0]!, publicKey: WEB }] }, state, 'ruei-wg1');
  assert.deepEqual(show(rekeyed.before), [`wg set ruei-wg1 peer ${WEB} allowed-ips 10.1.0.10/32 endpoint 10.1.0.10:51871`, 'ip link set dev ruei-wg1 mtu 65000 up']);
  assert.deepEqual(show(rekeyed.after), [`wg set ruei-wg1 peer ${COLLECTOR} remove`]);
  const stop = ['ip link del ruei-wg1', 'ip route del blackhole 10.1.0.10/32 table 4115 metric 4115', 'ip rule del pref 4115 ipproto 115 lookup 4115'];
  assert.deepEqual(show(removeWireguard(state, 'ruei-wg1')), stop);
  assert.deepEqual(show(planWireguard(null, state, 'ruei-wg1').after), stop, 'encryption turned off: all of it goes, after the tunnel');
  assert.deepEqual(planWireguard(null, NO_WG, 'ruei-wg1'), { before: [], after: [], conflicts: [] });
});

test('an interface of our name that is not WireGuard is a conflict, and nothing is planned', () => {
  const plan = planWireguard(TRANSMIT, { ...NO_WG, linkKind: 'dummy' }, 'ruei-wg1');
  assert.match(plan.conflicts[0]!, /an interface ruei-wg1 of kind dummy exists/);
  assert.deepEqual(plan.before, []);
});

test('the handshake tells whether an encrypted tunnel works, and what to do when it does not', () => {
  const state: WgState = { ...NO_WG, linkKind: 'wireguard', peers: new Map([[COLLECTOR, ['10.1.0.10']]]), handshakes: new Map([[COLLECTOR, 0]]) };
  const check = (s: WgState | undefined, now = 1000) => handshakeProblem(s, 'ruei-wg1', COLLECTOR, 'the collector\'s line', now);
  assert.match(check(undefined)!, /ruei-wg1 does not exist/);
  assert.match(check(state)!, /no WireGuard handshake with .* yet: the collector's line must give this host's public key .* UDP port 51871 must be open/);
  assert.equal(check({ ...state, handshakes: new Map([[COLLECTOR, 900]]) }), null);
  assert.match(check({ ...state, handshakes: new Map([[COLLECTOR, 700]]) })!, /the last WireGuard handshake .* was 300 s ago/);
});
