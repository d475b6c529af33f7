import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWgSent, planWgSent } from './wireguard-sent.js';

test('the count of WireGuard\'s data packets is read from nft -j list counter; anything else is no count', () => {
  // nft 1.0.6, after two data datagrams, a keepalive and two handshake messages were sent (seen in a namespace).
  const json = '{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, ' +
    '{"counter": {"family": "ip", "name": "data", "table": "ux_tunnel_wg_sent", "handle": 1, "packets": 2, "bytes": 2108}}]}';
  assert.equal(parseWgSent(json), 2);
  assert.equal(parseWgSent('{"nftables": [{"metainfo": {}}]}'), null);
  assert.equal(parseWgSent('not json'), null);
});

test('the count is planned only where nftables works, and only for an encrypted tunnel', () => {
  assert.deepEqual(planWgSent('10.10.10.10', 'unavailable'), { freshTunnel: false, withTunnel: [], alone: [] });
  assert.deepEqual(planWgSent('10.10.10.10', undefined), { freshTunnel: false, withTunnel: [], alone: [] });
  assert.deepEqual(planWgSent(null, 'absent'), { freshTunnel: false, withTunnel: [], alone: [] });
  assert.equal(planWgSent(null, 'present').alone.length, 1, 'no longer encrypted: removed');
  assert.equal(planWgSent('10.10.10.10', 'absent').freshTunnel, true);
  assert.equal(planWgSent('10.10.10.10', 'present').freshTunnel, false);
});
