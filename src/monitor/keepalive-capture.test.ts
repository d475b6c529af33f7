import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ETH_IPV4, ethernet, ipv4 } from '../diag/test-frames.js';
import { LINKTYPE_ETHERNET } from '../diag/frame.js';
import { KEEPALIVE_PORT } from '../model/transmit.js';
import { KeepaliveExtractor } from './keepalive-capture.js';

/** A keepalive as a sender's tunnel carries it: session ID, the cookie if any, the sublayer, then the inner frame. */
function outer(cookie: string | null, payload = Buffer.from('{"v":2}')): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0);
  udp.writeUInt16BE(KEEPALIVE_PORT, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  const inner = ethernet(ETH_IPV4, ipv4({ src: '169.254.115.1', dst: '255.255.255.255', protocol: 17 }, Buffer.concat([udp, payload])));
  const session = Buffer.alloc(4);
  session.writeUInt32BE(0x0a01000b, 0);
  const l2tp = Buffer.concat([session, cookie ? Buffer.from(cookie, 'hex') : Buffer.alloc(0), Buffer.alloc(4), inner]);
  return ethernet(ETH_IPV4, ipv4({ src: '10.1.0.11', dst: '10.1.0.10', protocol: 115 }, l2tp));
}

test('keepalives are found with and without a 64-bit cookie, and the cookie is handed on', () => {
  const seen: [string, number, string, string | null][] = [];
  const extractor = new KeepaliveExtractor((source, sessionId, payload, cookie) => seen.push([source, sessionId, payload.toString(), cookie]));
  extractor.setLinkType(LINKTYPE_ETHERNET);
  for (const frame of [outer(null), outer('0123456789abcdef')]) assert.equal(extractor.add(frame, 0, frame.length), true);
  assert.deepEqual(seen, [
    ['10.1.0.11', 0x0a01000b, '{"v":2}', null],
    ['10.1.0.11', 0x0a01000b, '{"v":2}', '0123456789abcdef'],
  ]);
  // Mirrored traffic that is not a keepalive is left alone.
  const other = ethernet(ETH_IPV4, ipv4({ src: '10.1.0.11', dst: '10.1.0.10', protocol: 115 }, Buffer.alloc(80)));
  assert.equal(extractor.add(other, 0, other.length), false);
});
