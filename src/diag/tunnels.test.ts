import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TunnelCounter } from './tunnels.js';
import { compareWithConfig, describeFinding, suggestedLine } from './tunnels-config.js';
import { parseTunnelsConf } from '../config/tunnels.js';
import { cookedV1, ETH_IPV4, ETH_IPV6, ethernet, ipv4, ipv6, l2tpOverIp, l2tpV4, l2tpV4Udp } from './test-frames.js';

const ID_11 = 168430091; // 10.10.10.11
const ID_12 = 168430092; // 10.10.10.12

function detect(frames: readonly Buffer[], linkType = 1): TunnelCounter {
  const counter = new TunnelCounter(linkType);
  for (const frame of frames) counter.add(frame, 0, frame.length);
  return counter;
}

test('L2TPv3 data packets are grouped by destination, source and session ID; NAT when the source is not the ID', () => {
  const counter = detect([
    l2tpV4('192.168.10.11', '10.10.10.10', ID_11),
    l2tpV4('10.10.10.12', '10.10.10.10', ID_12),
    l2tpV4('192.168.10.11', '10.10.10.10', ID_11),
    l2tpV4('10.10.10.12', '10.10.10.10', ID_12),
    l2tpV4('10.10.10.12', '10.10.10.10', ID_12),
    l2tpV4('10.10.10.12', '10.10.10.10', 0), // a control message
    ethernet(ETH_IPV4, ipv4({ src: '10.10.10.13', dst: '10.10.10.10', protocol: 115, options: Buffer.alloc(8, 1) }, l2tpOverIp(0x0a0a0a0d))),
    ethernet(ETH_IPV4, ipv4({ src: '10.10.10.14', dst: '10.10.10.10', protocol: 115, fragmentOffset: 100 }, Buffer.alloc(8))),
    ethernet(ETH_IPV4, ipv4({ src: '10.10.10.12', dst: '10.10.10.10', protocol: 17 }, l2tpOverIp(ID_12))),
    ethernet(ETH_IPV6, ipv6('2001:db8::1', '2001:db8::2', 115, l2tpOverIp(5))),
  ]);
  assert.deepEqual(counter.tunnels(), [
    { dstIp: '10.10.10.10', srcIp: '10.10.10.12', tunnelId: ID_12, nat: false, udpPort: null, packets: 3 },
    { dstIp: '10.10.10.10', srcIp: '10.10.10.13', tunnelId: 0x0a0a0a0d, nat: false, udpPort: null, packets: 1 },
    { dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: null, packets: 2 },
  ]);
  assert.equal(counter.matched, 8);
  assert.equal(counter.control, 1);
  assert.equal(counter.ipv6, 1);
});

test('in a cooked capture, packets the collector itself sent are not incoming tunnels', () => {
  const inbound = l2tpV4('10.10.10.11', '10.10.10.10', ID_11).subarray(14);
  const outbound = l2tpV4('10.10.10.10', '10.10.10.11', ID_11).subarray(14);
  const counter = detect([cookedV1(ETH_IPV4, inbound, 0), cookedV1(ETH_IPV4, outbound, 4)], 113);
  assert.deepEqual(counter.tunnels().map((t) => t.srcIp), ['10.10.10.11']);
  assert.equal(counter.outgoing, 1);
});

test('the suggested tunnels.conf line carries the tunnel ID only behind NAT', () => {
  assert.equal(suggestedLine({ dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: null, packets: 1 }), '10.10.10.10 192.168.10.11 - 10.10.10.11');
  assert.equal(suggestedLine({ dstIp: '10.10.10.10', srcIp: '10.10.10.12', tunnelId: ID_12, nat: false, udpPort: null, packets: 1 }), '10.10.10.10 10.10.10.12 - -');
});

test('comparison with tunnels.conf: configured, unconfigured, wrong ID (NAT), wrong source, unseen', () => {
  const conf = parseTunnelsConf('tunnels.conf', [
    '10.10.10.10 10.10.10.12 - -', // seen exactly so
    '10.10.10.10 192.168.10.11 - -', // behind NAT, but configured without the tunnel ID
    '10.10.10.10 10.10.10.14 - -', // its packets come from a NAT address: the ID matches, the source does not
    '10.10.10.10 10.10.10.15 - -', // never seen
  ].join('\n'));
  const detected = [
    { dstIp: '10.10.10.10', srcIp: '10.10.10.12', tunnelId: ID_12, nat: false, udpPort: null, packets: 3 },
    { dstIp: '10.10.10.10', srcIp: '10.10.10.13', tunnelId: 0x0a0a0a0d, nat: false, udpPort: null, packets: 1 },
    { dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: null, packets: 2 },
    { dstIp: '10.10.10.10', srcIp: '192.168.10.14', tunnelId: 0x0a0a0a0e, nat: true, udpPort: null, packets: 2 },
  ];
  const findings = compareWithConfig(detected, conf.tunnels);
  assert.deepEqual(findings.map((f) => [f.kind, 'line' in f ? f.line : null, 'fix' in f ? f.fix : null]), [
    ['configured', 1, null],
    ['unconfigured', null, '10.10.10.10 10.10.10.13 - -'],
    ['mismatch', 2, '10.10.10.10 192.168.10.11 - 10.10.10.11'],
    ['mismatch', 3, '10.10.10.10 192.168.10.14 - 10.10.10.14'],
    ['unseen', 4, null],
  ]);
  const text = findings.map((f) => describeFinding(f, '/opt/ruei/tunnel/receive/conf/tunnels.conf', 25));
  assert.equal(text[0], null);
  assert.equal(text[1], 'tunnel 10.10.10.13(168430093) from 10.10.10.13 to 10.10.10.10 is not in /opt/ruei/tunnel/receive/conf/tunnels.conf: add the line "10.10.10.10 10.10.10.13 - -"');
  assert.match(text[2]!, /tunnels\.conf:2: "10\.10\.10\.10 192\.168\.10\.11 - -": tunnel ID 192\.168\.10\.11\(3232238091\) is configured, but the packets carry 10\.10\.10\.11\(168430091\) .*replace the line with "10\.10\.10\.10 192\.168\.10\.11 - 10\.10\.10\.11"$/);
  assert.match(text[3]!, /tunnels\.conf:3: .*transmit-side-ip 10\.10\.10\.14 is configured, but the packets come from 192\.168\.10\.14/);
  assert.match(text[4]!, /tunnels\.conf:4: "10\.10\.10\.10 10\.10\.10\.15 - -" \(tunnel ID 10\.10\.10\.15\(168430095\)\): no packets seen in 25s/);
});

test('a tunnels.conf that matches everything detected yields no action', () => {
  const conf = parseTunnelsConf('t', '10.10.10.10 192.168.10.11 - 10.10.10.11\n');
  const findings = compareWithConfig([{ dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: null, packets: 1 }], conf.tunnels);
  assert.deepEqual(findings.map((f) => describeFinding(f, 't', 30)), [null]);
});

test('a line with options that needs correcting: only its four fields are replaced, its options (a cookie) kept and never shown', () => {
  const conf = parseTunnelsConf('tunnels.conf', '10.10.10.10 192.168.10.11 - - cookie=5a17c0ffee0c0de1\n');
  const [finding] = compareWithConfig([{ dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: null, packets: 2 }], conf.tunnels);
  const text = describeFinding(finding!, 'tunnels.conf', 25)!;
  assert.match(text, /replace its four fields with "10\.10\.10\.10 192\.168\.10\.11 - 10\.10\.10\.11" and keep its options \(cookie=, wireguard=\)$/);
  assert.ok(!text.includes('5a17c0ffee0c0de1'));
});

test('L2TPv3 over UDP is listed on any port, apart from the same sender over IP, and its line carries udp=', () => {
  const counter = detect([
    l2tpV4Udp('192.168.10.11', '10.10.10.10', ID_11, 1701),
    l2tpV4Udp('192.168.10.11', '10.10.10.10', ID_11, 1701),
    l2tpV4Udp('10.10.10.12', '10.10.10.10', ID_12, 4500, 33000),
    l2tpV4('10.10.10.12', '10.10.10.10', ID_12),
  ]);
  assert.deepEqual(counter.tunnels(), [
    { dstIp: '10.10.10.10', srcIp: '10.10.10.12', tunnelId: ID_12, nat: false, udpPort: null, packets: 1 },
    { dstIp: '10.10.10.10', srcIp: '10.10.10.12', tunnelId: ID_12, nat: false, udpPort: 4500, packets: 1 },
    { dstIp: '10.10.10.10', srcIp: '192.168.10.11', tunnelId: ID_11, nat: true, udpPort: 1701, packets: 2 },
  ]);
  assert.equal(counter.matched, 4);
  const [, udp, nat] = counter.tunnels();
  assert.equal(suggestedLine(nat!), '10.10.10.10 192.168.10.11 - 10.10.10.11 udp=1701');
  // Configured over IP, arriving over UDP: the line is wrong in its transport, and the fix says so.
  const conf = parseTunnelsConf('tunnels.conf', '10.10.10.10 10.10.10.12 - -\n10.10.10.10 192.168.10.11 - 10.10.10.11 udp=1701\n');
  const findings = compareWithConfig([udp!, nat!], conf.tunnels);
  assert.deepEqual(findings.map((f) => f.kind), ['configured', 'mismatch']);
  assert.match(describeFinding(findings[1]!, 'tunnels.conf', 25)!, /tunnels\.conf:1: .*configured over IP protocol 115, but the packets come over UDP port 4500: replace the line with "10\.10\.10\.10 10\.10\.10\.12 - - udp=4500"$/);
});
