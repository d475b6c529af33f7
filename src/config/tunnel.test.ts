import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors } from './errors.js';
import { checkTunnelConfOnHost, formatPorts, parseTunnelConf } from './tunnel.js';

test('the vendor guide\'s line parses; the tunnel ID defaults to the transmit IP as a number', () => {
  const conf = parseTunnelConf('tunnel.conf', '# web server\n\n10.10.10.10 10.10.10.11 ens3 i80   # comment\n');
  assert.deepEqual(conf, {
    file: 'tunnel.conf', line: 3, receivingIp: '10.10.10.10', transmitIp: '10.10.10.11', mirrorIf: 'ens3',
    ports: [{ direction: 'in', port: 80 }], tunnelId: 168430091, explicitId: false, budget: null, cookie: null, wireguard: null, udpPort: null,
  });
});

test('several ports, an explicit tunnel ID as a number or an address, and "all"', () => {
  const many = parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth0 i80,i443,o3306,o80 7\n');
  assert.deepEqual(many.ports, [{ direction: 'in', port: 80 }, { direction: 'in', port: 443 }, { direction: 'out', port: 3306 }, { direction: 'out', port: 80 }]);
  assert.equal(many.tunnelId, 7);
  assert.equal(many.explicitId, true);
  assert.equal(formatPorts(many.ports), 'i80,i443,o3306,o80');
  assert.equal(parseTunnelConf('t', '10.10.10.10 192.168.1.11 eth0 all 10.10.10.11').tunnelId, 168430091);
  assert.equal(parseTunnelConf('t', '10.10.10.10 192.168.1.11 eth0 all').ports, 'all');
  assert.equal(parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth0 i1,i65535').ports.length, 2);
  // "-" as in tunnels.conf: the default ID.
  const dash = parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth0 i80 -');
  assert.deepEqual([dash.tunnelId, dash.explicitId], [168430091, false]);
});

test('options after the vendor\'s fields: a mirror budget in Mbit/s and packets/s, with or without a tunnel ID', () => {
  const both = parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth0 i80 7 budget-mbit=200 budget-pps=50000\n');
  assert.deepEqual([both.tunnelId, both.budget], [7, { mbit: 200, pps: 50000 }]);
  const one = parseTunnelConf('t', '10.10.10.10 10.10.10.11 eth0 i80 budget-pps=20000\n');
  assert.deepEqual([one.tunnelId, one.explicitId, one.budget], [168430091, false, { mbit: null, pps: 20000 }]);
});

interface Bad {
  readonly name: string;
  readonly text: string;
  readonly line: number;
  readonly field: string | null;
  readonly reason: RegExp;
}

const BAD: Bad[] = [
  { name: 'empty file', text: '# only a comment\n', line: 1, field: null, reason: /no tunnel configured/ },
  { name: 'two tunnel lines', text: '10.10.10.10 10.10.10.11 ens3 i80\n# c\n10.10.10.10 10.10.10.12 ens3 i80\n', line: 3, field: null, reason: /exactly one tunnel.*line 1/ },
  { name: 'port 0', text: '10.10.10.10 10.10.10.11 ens3 i0', line: 1, field: 'mirror-port-list', reason: /port 0 is out of range 1\.\.65535/ },
  { name: 'port 65536', text: '10.10.10.10 10.10.10.11 ens3 i80,o65536', line: 1, field: 'mirror-port-list', reason: /"o65536": port 65536 is out of range/ },
  { name: 'huge port', text: '10.10.10.10 10.10.10.11 ens3 i0000000000080', line: 1, field: 'mirror-port-list', reason: /out of range/ },
  { name: 'empty item', text: '10.10.10.10 10.10.10.11 ens3 i80,,i81', line: 1, field: 'mirror-port-list', reason: /item 2 .* is empty/ },
  { name: 'trailing comma', text: '10.10.10.10 10.10.10.11 ens3 i80,', line: 1, field: 'mirror-port-list', reason: /is empty/ },
  { name: 'missing port list', text: '10.10.10.10 10.10.10.11 ens3', line: 1, field: null, reason: /expected 4 or 5 fields, found 3/ },
  { name: 'unknown prefix', text: '10.10.10.10 10.10.10.11 ens3 x80', line: 1, field: 'mirror-port-list', reason: /unknown prefix "x"/ },
  { name: 'no prefix', text: '10.10.10.10 10.10.10.11 ens3 80', line: 1, field: 'mirror-port-list', reason: /has no prefix/ },
  { name: 'prefix without number', text: '10.10.10.10 10.10.10.11 ens3 i', line: 1, field: 'mirror-port-list', reason: /"" is not a port number/ },
  { name: 'duplicate port', text: '10.10.10.10 10.10.10.11 ens3 i80,i443,i80', line: 1, field: 'mirror-port-list', reason: /"i80" is listed twice/ },
  { name: 'all with ports', text: '10.10.10.10 10.10.10.11 ens3 all,i80', line: 1, field: 'mirror-port-list', reason: /use it alone/ },
  { name: 'space after comma', text: '10.10.10.10 10.10.10.11 ens3 i80, i443', line: 1, field: 'mirror-port-list', reason: /contains a space/ },
  { name: 'space before comma', text: '10.10.10.10 10.10.10.11 ens3 i80 ,i443', line: 1, field: 'mirror-port-list', reason: /contains a space/ },
  { name: 'space between items', text: '10.10.10.10 10.10.10.11 ens3 i80 i443', line: 1, field: 'mirror-port-list', reason: /contains a space/ },
  { name: 'en dash in list', text: '10.10.10.10 10.10.10.11 ens3 i80\u2013i81', line: 1, field: 'mirror-port-list', reason: /look-alike character "\u2013" \(U\+2013, an en dash\)/ },
  { name: 'semicolons in the list', text: '10.10.10.10 10.10.10.11 ens3 i80;i443', line: 1, field: 'mirror-port-list', reason: /"i80;i443": separate the ports with commas, not ";" \(e\.g\. i80,i443\)/ },
  { name: 'a host name', text: 'collector.example.com 10.10.10.11 ens3 i80', line: 1, field: 'receiving-side-ip', reason: /"collector\.example\.com" is a host name: write its IPv4 address \(host collector\.example\.com\), or the NAT address if NAT is in between/ },
  { name: 'full-width digit', text: '10.10.10.10 10.10.10.11 ens3 i8\uFF10', line: 1, field: 'mirror-port-list', reason: /look-alike character .*U\+FF10/ },
  { name: 'en dash as tunnel id', text: '10.10.10.10 10.10.10.11 ens3 i80 \u2013', line: 1, field: 'tunnel-id', reason: /look-alike character "\u2013"/ },
  { name: 'non-breaking space', text: '10.10.10.10\u00a010.10.10.11 ens3 i80', line: 1, field: null, reason: /found 3.*look-alike character .*\(U\+00A0, a non-breaking space\)/ },
  { name: 'curly quote', text: '10.10.10.10 10.10.10.11 ens3 i80 \u201d', line: 1, field: 'tunnel-id', reason: /\(U\+201D, a curly closing double quote\)/ },
  { name: 'bad receiving ip', text: '10.10.10 10.10.10.11 ens3 i80', line: 1, field: 'receiving-side-ip', reason: /not an IPv4 address/ },
  { name: 'loopback transmit ip', text: '10.10.10.10 127.0.0.1 ens3 i80', line: 1, field: 'transmit-side-ip', reason: /cannot be a tunnel end/ },
  { name: 'same ips', text: '10.10.10.10 10.10.10.10 ens3 i80', line: 1, field: 'transmit-side-ip', reason: /also the receiving-side-ip/ },
  { name: 'tunnel id 0', text: '10.10.10.10 10.10.10.11 ens3 i80 0', line: 1, field: 'tunnel-id', reason: /reserves 0/ },
  { name: 'tunnel id too big', text: '10.10.10.10 10.10.10.11 ens3 i80 4294967296', line: 1, field: 'tunnel-id', reason: /out of range/ },
  { name: 'interface name too long', text: '10.10.10.10 10.10.10.11 averyveryverylongname i80', line: 1, field: 'mirror-if-name', reason: /not a valid interface name/ },
  { name: 'our own interface', text: '10.10.10.10 10.10.10.11 ruei-br1 i80', line: 1, field: 'mirror-if-name', reason: /creates/ },
  { name: 'six fields', text: '10.10.10.10 10.10.10.11 ens3 i80 7 8', line: 1, field: null, reason: /found 6/ },
  { name: 'budget of 0', text: '10.10.10.10 10.10.10.11 ens3 i80 budget-mbit=0', line: 1, field: 'budget-mbit', reason: /"0" is not a whole number of Mbit\/s from 1/ },
  { name: 'budget with a unit', text: '10.10.10.10 10.10.10.11 ens3 i80 budget-mbit=200M', line: 1, field: 'budget-mbit', reason: /"200M" is not a whole number/ },
  { name: 'wireguard key of the wrong length', text: '10.10.10.10 10.10.10.11 ens3 i80 wireguard=vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5B=', line: 1, field: 'wireguard', reason: /is not a WireGuard public key/ },
  { name: 'cookie not hex', text: '10.10.10.10 10.10.10.11 ens3 i80 cookie=zz23456789abcdef', line: 1, field: 'cookie', reason: /16 hex digits/ },
  { name: 'unknown option', text: '10.10.10.10 10.10.10.11 ens3 i80 budget-mbps=10', line: 1, field: 'budget-mbps', reason: /unknown option "budget-mbps": the options here are budget-mbit=N, budget-pps=N, cookie=HEX16/ },
  { name: 'udp port 0', text: '10.10.10.10 10.10.10.11 ens3 i80 udp=0', line: 1, field: 'udp', reason: /"0" is not a UDP port from 1 to 65535/ },
  { name: 'udp port with a protocol', text: '10.10.10.10 10.10.10.11 ens3 i80 udp=1701/udp', line: 1, field: 'udp', reason: /is not a UDP port/ },
  { name: 'udp on the encryption port', text: '10.10.10.10 10.10.10.11 ens3 i80 udp=51871', line: 1, field: 'udp', reason: /port of ux-tunnel's encryption/ },
  { name: 'udp and wireguard together', text: '10.10.10.10 10.10.10.11 ens3 i80 udp=1701 wireguard=vkAJvSfMGIwNbckHpJsSchGD5rVIux6HyBHaO/1F5BU=', line: 1, field: 'udp', reason: /keep wireguard= alone/ },
  { name: 'option twice', text: '10.10.10.10 10.10.10.11 ens3 i80 budget-pps=1000 budget-pps=2000', line: 1, field: 'budget-pps', reason: /given twice/ },
  { name: 'tunnel id after an option', text: '10.10.10.10 10.10.10.11 ens3 i80 budget-pps=1000 7', line: 1, field: null, reason: /"7" follows the options/ },
  { name: 'error on a later line keeps its number', text: '# a\n# b\n10.10.10.10 10.10.10.11 ens3 i99999\n', line: 3, field: 'mirror-port-list', reason: /out of range/ },
];

for (const c of BAD) {
  test(`bad tunnel.conf: ${c.name} -> file:line: field: reason`, () => {
    assert.throws(() => parseTunnelConf('/opt/ruei/tunnel/transmit/conf/tunnel.conf', c.text), (error: unknown) => {
      assert.ok(error instanceof ConfigErrors, `a ConfigErrors, not ${String(error)}`);
      const match = error.errors.find((e) => e.location.line === c.line && e.field === c.field && c.reason.test(e.reason));
      assert.ok(match, `an error at line ${c.line}, field ${c.field}, matching ${c.reason}; got:\n${error.message}`);
      assert.match(match.message, new RegExp(`^/opt/ruei/tunnel/transmit/conf/tunnel\\.conf:${c.line}: ${c.field ? `${c.field}: ` : ''}`));
      return true;
    });
  });
}

test('host checks: unknown interface and a transmit IP that is not local are errors naming the line and field', () => {
  const conf = parseTunnelConf('t.conf', '# x\n10.10.10.10 10.10.10.11 ens3 i80\n');
  assert.deepEqual(checkTunnelConfOnHost(conf, new Set(['lo', 'ens3']), new Set(['10.10.10.11'])), []);
  const errors = checkTunnelConfOnHost(conf, new Set(['lo', 'eth0', 'ruei-br1']), new Set(['192.0.2.1']));
  assert.deepEqual(errors.map((e) => e.message), [
    't.conf:2: mirror-if-name: there is no interface "ens3" on this host (see ip link show; existing: eth0)',
    't.conf:2: transmit-side-ip: 10.10.10.11 is not an address of this host (see ip address show): the tunnel\'s local end must be one',
  ]);
});

test('udp=PORT after the vendor\'s fields: L2TPv3 over UDP from and to that port', () => {
  const conf = parseTunnelConf('tunnel.conf', '10.10.10.10 10.10.10.11 ens3 i80 udp=1701\n');
  assert.equal(conf.udpPort, 1701);
  assert.equal(parseTunnelConf('tunnel.conf', '10.10.10.10 10.10.10.11 ens3 i80\n').udpPort, null, 'without it: IP protocol 115');
});
