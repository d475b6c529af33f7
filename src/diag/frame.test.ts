import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodedFrame, decodeFrame, formatIPv6, ipv4Destination, ipv4Source, isSupportedLinkType } from './frame.js';
import { cookedV1, cookedV2, ETH_IPV4, ETH_IPV6, ethernet, ipv4, ipv6, l2tpOverIp, tcp, TCP_ACK, TCP_SYN } from './test-frames.js';

const SYN_ACK = tcp(80, 40000, TCP_SYN | TCP_ACK);
const v4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, SYN_ACK);
const v6 = ipv6('2001:db8::1', '2001:db8::2', 6, SYN_ACK);

function decode(frame: Buffer, linkType: number, padding = 0): DecodedFrame {
  // Place the frame at an offset inside a larger buffer, as the stream parser does, to prove offsets are absolute.
  const buf = Buffer.concat([Buffer.alloc(padding, 0xee), frame, Buffer.alloc(8, 0xee)]);
  const out = new DecodedFrame();
  decodeFrame(buf, padding, frame.length, linkType, out);
  (out as DecodedFrame & { buf: Buffer }).buf = buf;
  return out;
}

function transportOffsetInFrame(d: DecodedFrame, padding: number): number {
  return d.transport < 0 ? -1 : d.transport - padding;
}

test('Ethernet, single and stacked VLAN tags, cooked v1/v2 and raw IP all lead to the same IPv4 TCP header', () => {
  const cases: Array<[string, Buffer, number, number]> = [
    ['ethernet', ethernet(ETH_IPV4, v4), 1, 14 + 20],
    ['802.1Q', ethernet(ETH_IPV4, v4, [{ tpid: 0x8100, vid: 10 }]), 1, 18 + 20],
    ['802.1ad + 802.1Q', ethernet(ETH_IPV4, v4, [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 10 }]), 1, 22 + 20],
    ['old QinQ 0x9100', ethernet(ETH_IPV4, v4, [{ tpid: 0x9100, vid: 5 }]), 1, 18 + 20],
    ['cooked v1', cookedV1(ETH_IPV4, v4), 113, 16 + 20],
    ['cooked v2', cookedV2(ETH_IPV4, v4), 276, 20 + 20],
    ['raw IP', v4, 101, 20],
    ['raw IPv4', v4, 228, 20],
    ['DLT_RAW 12', v4, 12, 20],
  ];
  for (const [name, frame, linkType, transport] of cases) {
    const d = decode(frame, linkType, 37);
    assert.equal(d.family, 4, name);
    assert.equal(d.protocol, 6, name);
    assert.equal(transportOffsetInFrame(d, 37), transport, name);
    const buf = (d as DecodedFrame & { buf: Buffer }).buf;
    assert.equal(ipv4Source(buf, d), 0x0a000001, name);
    assert.equal(ipv4Destination(buf, d), 0x0a000002, name);
    assert.equal(buf[d.transport + 13], TCP_SYN | TCP_ACK, name);
  }
});

test('IPv4 options move the transport header (IHL); non-first fragments have none', () => {
  const withOptions = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 115, options: Buffer.from('94040000', 'hex') }, l2tpOverIp(7));
  const d = decode(ethernet(ETH_IPV4, withOptions), 1);
  assert.equal(d.transport, 14 + 24);
  const fragment = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 115, fragmentOffset: 185 }, Buffer.alloc(8));
  const f = decode(ethernet(ETH_IPV4, fragment), 1);
  assert.equal(f.family, 4);
  assert.equal(f.protocol, 115);
  assert.equal(f.transport, -1);
});

test('IPv6: extension headers are skipped to the transport header; a non-first fragment has none', () => {
  assert.equal(decode(ethernet(ETH_IPV6, v6), 1).transport, 14 + 40);
  const chained = ipv6('2001:db8::1', '2001:db8::2', 6, SYN_ACK, [{ type: 0 }, { type: 43 }, { type: 60 }, { type: 44 }]);
  const d = decode(ethernet(ETH_IPV6, chained), 1);
  assert.equal(d.family, 6);
  assert.equal(d.protocol, 6);
  assert.equal(d.transport, 14 + 40 + 32);
  const later = decode(ethernet(ETH_IPV6, ipv6('2001:db8::1', '2001:db8::2', 6, SYN_ACK, [{ type: 44, fragmentOffset: 100 }])), 1);
  assert.equal(later.protocol, 6);
  assert.equal(later.transport, -1);
  assert.equal(decode(v6, 229).transport, 40);
  assert.equal(decode(v6, 101).family, 6);
  assert.equal(decode(cookedV2(ETH_IPV6, v6), 276).transport, 20 + 40);
});

test('cooked captures say which frames the host sent', () => {
  assert.equal(decode(cookedV1(ETH_IPV4, v4, 4), 113).outgoing, true);
  assert.equal(decode(cookedV1(ETH_IPV4, v4, 0), 113).outgoing, false);
  assert.equal(decode(cookedV2(ETH_IPV4, v4, 4), 276).outgoing, true);
  assert.equal(decode(cookedV2(ETH_IPV4, v4, 3), 276).outgoing, false);
  assert.equal(decode(ethernet(ETH_IPV4, v4), 1).outgoing, false);
});

test('frames cut short, non-IP frames and unknown link types decode to nothing, without reading past the capture', () => {
  const full = ethernet(ETH_IPV4, v4);
  assert.equal(decode(full.subarray(0, 13), 1).family, 0);
  assert.equal(decode(full.subarray(0, 14 + 19), 1).family, 0);
  const headerOnly = decode(full.subarray(0, 14 + 20), 1);
  assert.equal(headerOnly.family, 4);
  assert.equal(headerOnly.transport, 14 + 20); // present, but the analyzers check transport + N <= end
  assert.equal(headerOnly.end, 14 + 20);
  assert.equal(decode(ethernet(0x0806, Buffer.alloc(28)), 1).family, 0); // ARP
  assert.equal(decode(ethernet(ETH_IPV4, v6), 1).family, 0); // wrong version nibble
  assert.equal(decode(full, 147).family, 0);
  assert.equal(isSupportedLinkType(147), false);
  assert.equal(isSupportedLinkType(276), true);
  const cutExtensions = ethernet(ETH_IPV6, ipv6('::1', '::2', 6, SYN_ACK, [{ type: 0 }])).subarray(0, 14 + 41);
  const d = decode(cutExtensions, 1);
  assert.equal(d.family, 6);
  assert.equal(d.transport, -1);
});

test('formatIPv6 writes RFC 5952 text', () => {
  const text = (hex: string) => formatIPv6(Buffer.from(hex, 'hex'), 0);
  assert.equal(text('20010db8000000000000000000000001'), '2001:db8::1');
  assert.equal(text('00000000000000000000000000000000'), '::');
  assert.equal(text('00000000000000000000000000000001'), '::1');
  assert.equal(text('20010db8000000010000000000000000'), '2001:db8:0:1::');
  assert.equal(text('20010db8000100000001000000000001'), '2001:db8:1:0:1::1'); // the longer run wins
  assert.equal(text('20010db80000000100010001000100010'.slice(0, 32)), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(text('fe800000000000000000000000000abc'), 'fe80::abc');
});
