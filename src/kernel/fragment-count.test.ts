import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFragmentCounter, FRAGMENT_TABLE, parseFragmentCounts, readFragmentCounterState, removeFragmentCounter } from './fragment-count.js';
import { argvOf } from '../plan/operation.js';
import type { KernelRunner } from './runner.js';

// What nft 1.0.6 prints for `nft -j list set ip ux_tunnel_fragments fragmented` with two senders counted.
const SET = JSON.stringify({ nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }, { set: {
  family: 'ip', name: 'fragmented', table: FRAGMENT_TABLE, type: 'ipv4_addr', handle: 2, size: 65536, flags: ['dynamic'],
  elem: [{ elem: { val: '10.0.0.2', counter: { packets: 1234, bytes: 1850000 } } }, { elem: { val: '10.0.0.9', counter: { packets: 0, bytes: 0 } } }],
} }] });

test('fragmented frames are read per source address', () => {
  assert.deepEqual([...parseFragmentCounts(SET)], [['10.0.0.2', 1234], ['10.0.0.9', 0]]);
  assert.deepEqual([...parseFragmentCounts(JSON.stringify({ nftables: [{ set: { name: 'fragmented' } }] }))], []);
});

test('the counter is added once, before anything counts, and removed only when it is there', () => {
  const ops = addFragmentCounter('absent');
  assert.deepEqual(ops.map((o) => argvOf(o).slice(0, 4).join(' ')), ['nft add table ip', 'nft add chain ip', 'nft add set ip', 'nft add rule ip', 'nft add rule ip', 'nft add rule ip']);
  assert.match(argvOf(ops[1]!).join(' '), /hook prerouting priority -450/, 'before conntrack\'s defragmentation (-400)');
  assert.match(argvOf(ops[3]!).join(' '), /ip protocol 115 ip frag-off & 0x3fff == 0x2000 update @fragmented \{ ip saddr counter \}/, 'first fragments of L2TP only');
  assert.match(argvOf(ops[4]!).join(' '), /ip protocol udp ip frag-off & 0x3fff == 0x2000 @th,64,32 0x00030000 update @fragmented/, 'and of L2TPv3 over UDP, on any port');
  assert.match(argvOf(ops[5]!).join(' '), /ip protocol udp ip frag-off & 0x3fff == 0x2000 udp dport 51871 update @fragmented/, 'and of WireGuard, which carries encrypted tunnels');
  assert.deepEqual(argvOf(ops[0]!.undo!), ['nft', 'delete', 'table', 'ip', FRAGMENT_TABLE]);
  assert.deepEqual([addFragmentCounter('present'), addFragmentCounter('unavailable'), addFragmentCounter(undefined)], [[], [], []]);
  assert.deepEqual(removeFragmentCounter('present').map(argvOf), [['nft', 'delete', 'table', 'ip', FRAGMENT_TABLE]]);
  assert.deepEqual([removeFragmentCounter('absent'), removeFragmentCounter('unavailable')], [[], []]);
});

test('without nft (or nf_tables) the counter is unavailable, never an error', async () => {
  const runner = (code: number, stdout: string) => ({ probe: async () => ({ code, stdout, stderr: '' }) }) as unknown as KernelRunner;
  assert.equal(await readFragmentCounterState(runner(127, '')), 'unavailable');
  assert.equal(await readFragmentCounterState(runner(0, '{"nftables": [{"table": {"family": "ip", "name": "filter"}}]}')), 'absent');
  assert.equal(await readFragmentCounterState(runner(0, `{"nftables": [{"table": {"family": "ip", "name": "${FRAGMENT_TABLE}"}}]}`)), 'present');
});
