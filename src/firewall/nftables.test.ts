import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filteringChains, parseRuleset, planClose, planOpen, portMistakes, RULE_COMMENT, WG_RULE_COMMENT } from './nftables.js';
import { argvOf } from '../plan/operation.js';

// Recorded with nft 1.0.6 in the lab: an input chain with policy drop, our rule, and the two port-115 mistakes.
const RULESET = JSON.stringify({ nftables: [
  { metainfo: { version: '1.0.6' } },
  { table: { family: 'inet', name: 'filter', handle: 1 } },
  { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
  { chain: { family: 'inet', table: 'filter', name: 'output', handle: 5, type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
  { chain: { family: 'ip6', table: 'v6', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
  { chain: { family: 'inet', table: 'filter', name: 'helper', handle: 9 } },
  { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 4, comment: RULE_COMMENT, expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'l2tp' } }, { accept: null }] } },
  { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 2, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 115 } }, { accept: null }] } },
  { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 3, expr: [{ match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: { set: [53, 115] } } }, { accept: null }] } },
  { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 6, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [1000, 2000] } } }, { accept: null }] } },
] });

test('the filtering chains are the IPv4-capable base chains of the side\'s hook', () => {
  const ruleset = parseRuleset(RULESET);
  assert.deepEqual(filteringChains(ruleset, 'receive').map((c) => `${c.family} ${c.table} ${c.name}`), ['inet filter input']);
  assert.deepEqual(filteringChains(ruleset, 'transmit').map((c) => `${c.family} ${c.table} ${c.name}`), ['inet filter output']);
});

test('open inserts our rule only where it is missing; close deletes only our rules, by handle', () => {
  const ruleset = parseRuleset(RULESET);
  assert.deepEqual(planOpen(ruleset, 'receive'), [], 'input already has the rule');
  assert.deepEqual(planOpen(ruleset, 'transmit').map((o) => argvOf(o).join(' ')), [
    `nft insert rule inet filter output meta l4proto 115 accept comment "${RULE_COMMENT}"`,
  ]);
  assert.deepEqual(planClose(ruleset).map((o) => argvOf(o).join(' ')), ['nft delete rule inet filter input handle 4']);
});

test('TCP or UDP port 115 openings are reported as the common mistake', () => {
  assert.deepEqual(portMistakes(parseRuleset(RULESET)), [
    'tcp port 115 in inet filter input (rule handle 2)',
    'udp port 115 in inet filter input (rule handle 3)',
  ]);
});

test('UDP ports in the config: open adds the WireGuard port\'s and each udp= port\'s rule beside ours where missing; close removes all', () => {
  const ruleset = parseRuleset(RULESET);
  assert.deepEqual(planOpen(ruleset, 'receive', [51871, 1701]).map((o) => argvOf(o).join(' ')), [
    `nft insert rule inet filter input udp dport 51871 accept comment "${WG_RULE_COMMENT}"`,
    'nft insert rule inet filter input udp dport 1701 accept comment "ux-tunnel: L2TPv3 over UDP 1701"',
  ]);
  const withWg = parseRuleset(RULESET.replace('"handle":6,', `"handle":6,"comment":"${WG_RULE_COMMENT}",`));
  assert.deepEqual(planClose(withWg).map((o) => argvOf(o).join(' ')), ['nft delete rule inet filter input handle 4', 'nft delete rule inet filter input handle 6']);
});
