import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeKeepalive, type SenderCounters } from '../keepalive/frame.js';
import { HealthTracker, type ConfiguredTunnel, type RxCounters } from './tracker.js';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const WEB1: ConfiguredTunnel = { line: 1, tunnelId: 0x0a01000b, localIp: '10.1.0.10', remoteIp: '10.1.0.11', interface: 'ruei-mtun-00000', cookie: null };
const WEB3: ConfiguredTunnel = { line: 2, tunnelId: 0x0a02000d, localIp: '10.1.0.10', remoteIp: '10.1.0.1', interface: 'ruei-mtun-00001', cookie: null };

function counters(sent: number): SenderCounters {
  return {
    mirrored: sent, mirrorDrops: 0, sent, sentBytes: sent * 100, errors: 0, drops: 0,
    chain: {
      'ruei-veth1in': { txErrors: 0, txDropped: 0 }, 'ruei-veth1out': { rxErrors: 0, rxDropped: 0 },
      'ruei-br1': { txErrors: 0, txDropped: 0 }, 'ruei-tun1': { txPackets: sent, txBytes: sent * 100, txErrors: 0, txDropped: 0 },
    },
  };
}

/** A tracker and a sender that sends keepalive `seq` at T0 + seq seconds with `sent` frames, received `rx` here. */
function setup(tunnels: ConfiguredTunnel[] = [WEB1, WEB3]) {
  const tracker = new HealthTracker({ startedMs: T0, lossWarnPercent: 1 });
  tracker.setTunnels(tunnels);
  const send = (tunnel: ConfiguredTunnel, seq: number, sent: number | null, rx: number, options: { local?: string; source?: string; host?: string; cookie?: string | null } = {}) => {
    const payload = encodeKeepalive({
      tunnelId: tunnel.tunnelId, host: options.host ?? 'web', seq, time: new Date(T0 + seq * 1000).toISOString(), interval: 1,
      local: options.local ?? tunnel.remoteIp, ...(sent === null ? {} : { counters: counters(sent) }),
    });
    const read = (): RxCounters => ({ packets: rx, errors: 0, dropped: 0 });
    return tracker.onKeepalive(T0 + seq * 1000 + 5, options.source ?? tunnel.remoteIp, tunnel.tunnelId, payload, read, options.cookie === undefined ? tunnel.cookie : options.cookie);
  };
  const health = (tunnel: ConfiguredTunnel, atMs: number) => tracker.snapshot(atMs, { pid: 1, config: 'x' }).tunnels.find((h) => h.tunnelId === tunnel.tunnelId)!;
  return { tracker, send, health };
}

test('loss over an interval is the sender\'s frames minus ours, settled by the next keepalive; NAT is source != local', () => {
  const { tracker, send, health } = setup();
  assert.equal(send(WEB1, 1, 1000, 50), 'tunnel');
  send(WEB1, 2, 1100, 150);
  send(WEB1, 3, 1300, 340);
  send(WEB1, 4, 1400, 440);
  assert.equal(health(WEB1, T0 + 4100).lostFrames, 0, 'not settled yet: the 10 missing frames may still arrive');
  send(WEB1, 5, 1500, 540);
  send(WEB3, 1, 0, 0, { local: '10.2.0.13' });
  const h = health(WEB1, T0 + 5100);
  assert.equal(h.state, 'up');
  assert.equal(h.nat, false);
  assert.equal(h.sentFrames, 500);
  assert.equal(h.receivedFrames, 490);
  assert.equal(h.lostFrames, 10);
  assert.deepEqual(h.lastInterval, { seconds: 1, sent: 200, received: 190, lost: 10, lossPercent: 5 });
  assert.equal(health(WEB3, T0 + 1100).nat, true);
  const events = tracker.tick(T0 + 5100);
  assert.ok(events.some((e) => e.level === 'warning' && /10 of 200 frames lost \(5\.00 %, above 1 %\)/.test(e.message)), JSON.stringify(events));
});

test('frames counted on either side of a keepalive are balanced over the next interval, never reported as loss', () => {
  const { send, health } = setup();
  send(WEB1, 1, 0, 0);
  send(WEB1, 2, 100, 105); // 5 frames the sender counts only in the next interval already arrived
  send(WEB1, 3, 200, 200);
  send(WEB1, 4, 300, 270); // 30 frames overtaken by the keepalive (another queue) ...
  send(WEB1, 5, 400, 380); // ... arrive over the next intervals (a deficit lasting 2 keepalives)
  send(WEB1, 6, 500, 500);
  send(WEB1, 7, 600, 600);
  send(WEB1, 8, 700, 700);
  const h = health(WEB1, T0 + 8100);
  assert.equal(h.lostFrames, 0);
  assert.equal(h.lastInterval?.lost, 0);
});

test('missing keepalives make a tunnel stale after 3 intervals, down after 6, and up again with the next one', () => {
  const { tracker, send, health } = setup([WEB1]);
  send(WEB1, 1, 0, 0);
  tracker.tick(T0 + 1100);
  assert.equal(health(WEB1, T0 + 1000 + 3400).state, 'up');
  assert.equal(health(WEB1, T0 + 1000 + 3600).state, 'stale');
  assert.equal(health(WEB1, T0 + 1000 + 6400).state, 'stale');
  assert.equal(health(WEB1, T0 + 1000 + 6600).state, 'down');
  const events = [...tracker.tick(T0 + 1000 + 3600), ...tracker.tick(T0 + 1000 + 6600)];
  assert.deepEqual(events.map((e) => e.level), ['warning', 'warning']);
  assert.match(events[0]!.message, /is stale: no keepalive for 4 s \(3 missed\)/);
  assert.match(events[0]!.message, /^tunnel \d+\.\d+\.\d+\.\d+\(\d+\) \(/, 'the tunnel ID as everywhere else: address(number)');
  assert.match(events[1]!.message, /is down: no keepalive for 7 s/);
  send(WEB1, 9, 10, 10);
  const back = tracker.tick(T0 + 9100);
  assert.match(back[0]!.message, /is up again after being down/);
});

test('sequence gaps count lost keepalives; a sequence that starts over is a sender restart, not loss', () => {
  const { send, health } = setup([WEB1]);
  send(WEB1, 1, 0, 0);
  send(WEB1, 4, 300, 300);
  assert.equal(health(WEB1, T0 + 4100).sequenceGaps, 2);
  send(WEB1, 5, 10, 310); // counters went back: the transmit side was restarted (new ruei-tun1)
  send(WEB1, 6, 60, 360);
  const h = health(WEB1, T0 + 6100);
  assert.equal(h.senderRestarts, 1);
  assert.equal(h.sentFrames, 350);
  assert.equal(h.lostFrames, 0);
});

test('keepalives of unknown tunnels or from unexpected addresses are counted apart; malformed ones are counted and ignored', () => {
  const { tracker, send, health } = setup([WEB1]);
  assert.equal(send(WEB3, 1, 0, 0), 'unknown');
  assert.equal(send(WEB3, 2, 0, 0), 'unknown');
  assert.equal(send(WEB1, 1, 0, 0, { source: '192.0.2.7' }), 'unknown');
  const garbage = [Buffer.alloc(0), Buffer.from('UXTK'), Buffer.from('UXTK\x02{"tunnelId":"x"}'), Buffer.from('not a keepalive at all')];
  for (const payload of garbage) assert.equal(tracker.onKeepalive(T0, '10.1.0.11', WEB1.tunnelId, payload, () => null), 'malformed');
  const s = tracker.snapshot(T0 + 3000, { pid: 1, config: 'x' });
  assert.equal(s.unknownKeepalives, 3);
  assert.equal(s.malformedKeepalives, garbage.length);
  assert.deepEqual(s.unknownSenders.map((u) => [u.source, u.sessionId, u.reason, u.count]), [
    ['10.1.0.1', WEB3.tunnelId, 'session', 2],
    ['192.0.2.7', WEB1.tunnelId, 'address', 1],
  ]);
  assert.equal(health(WEB1, T0 + 3000).keepalives, 0, 'none of them counted for web1');
  assert.equal(tracker.tick(T0 + 3000).filter((e) => /not in tunnels\.conf|another transmit-side-ip/.test(e.message)).length, 2, 'one warning per new sender');
});

test('a tunnel never heard from is waiting, then down; one without a session interface is down at once', () => {
  const { health } = setup([WEB1, { ...WEB3, interface: null }]);
  assert.equal(health(WEB1, T0 + 10_000).state, 'waiting');
  assert.equal(health(WEB1, T0 + 71_000).state, 'down');
  assert.equal(health(WEB3, T0 + 1000).state, 'down');
});

test('a version 1 keepalive (no counters, no local address) keeps the tunnel up and tells NAT from the tunnel ID', () => {
  const { tracker, health } = setup([WEB3]);
  const v1 = Buffer.concat([Buffer.from('UXTK\x01'), Buffer.from(JSON.stringify({ tunnelId: WEB3.tunnelId, host: 'old', seq: 1, time: new Date(T0).toISOString(), interval: 20 }))]);
  assert.equal(tracker.onKeepalive(T0, '10.1.0.1', WEB3.tunnelId, v1, () => ({ packets: 5, errors: 0, dropped: 0 })), 'tunnel');
  const h = health(WEB3, T0 + 1000);
  assert.equal(h.state, 'up');
  assert.equal(h.nat, true, '10.1.0.1 is not 10.2.0.13');
  assert.equal(h.lastInterval, null);
});

test('a cookie mismatch: the keepalive is not an arrival, the reason says what differs (never the cookie), agreement clears it', () => {
  const secret = '0123456789abcdef';
  const withCookie = { ...WEB1, cookie: secret };
  const { tracker, send, health } = setup([withCookie, WEB3]);
  assert.equal(send(withCookie, 1, 100, 0, { cookie: 'fedcba9876543210' }), 'cookie');
  assert.equal(send(withCookie, 2, 200, 0, { cookie: null }), 'cookie');
  assert.equal(send(WEB3, 1, 100, 100, { cookie: secret }), 'cookie');
  const mismatch = health(withCookie, T0 + 3000).cookieMismatch!;
  assert.match(mismatch.reason, /sends no cookie, but tunnels.conf line 1 has one/);
  assert.equal(mismatch.keepalives, 2);
  assert.equal(health(withCookie, T0 + 3000).keepalives, 0);
  assert.match(health(WEB3, T0 + 3000).cookieMismatch!.reason, /sends a cookie, but tunnels.conf line 2 has none/);
  const events = tracker.tick(T0 + 3000);
  assert.equal(events.filter((e) => /cookie mismatch/.test(e.message)).length, 3);
  assert.ok(events.every((e) => !e.message.includes(secret) && !e.message.includes('fedcba')));
  assert.equal(send(withCookie, 3, 300, 300), 'tunnel');
  assert.equal(health(withCookie, T0 + 4000).cookieMismatch, null);
  assert.equal(health(withCookie, T0 + 4000).state, 'up');
});
