import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, UsageError } from './args.js';
import { runTrafficServers, TRAFFIC_VALUE_FLAGS } from './diag-traffic.js';
import { UserError } from './main.js';
import { ETH_IPV6, ethernet, ipv6, pcapFile, synAckV4, tcp, TCP_ACK, TCP_SYN } from '../diag/test-frames.js';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const args = parseArgs(argv, [...TRAFFIC_VALUE_FLAGS, 'config'], ['json', 'dry-run']);
  let text = '';
  const code = await runTrafficServers(args, () => { throw new Error('no default interface with --read'); }, { write: (t) => (text += t) });
  return { code, lines: text.split('\n').slice(0, -1) };
}

test('diag traffic servers --read prints the vendor table, aligned, most connections first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-traffic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const frames: Buffer[] = [];
  for (let i = 0; i < 38; i++) frames.push(synAckV4('10.10.10.1', 80, '192.0.2.7', 30000 + i, i));
  for (let i = 0; i < 3; i++) frames.push(synAckV4('10.10.10.2', 7001, '192.0.2.7', 31000 + i, i));
  frames.push(ethernet(ETH_IPV6, ipv6('2001:db8::1', '2001:db8::2', 6, tcp(443, 5000, TCP_SYN | TCP_ACK))));
  const file = join(dir, 'web.pcap');
  await writeFile(file, pcapFile(frames, { linkType: 1 }));
  const { code, lines } = await run(['diag', 'traffic', 'servers', '--read', file]);
  assert.equal(code, 0);
  assert.deepEqual(lines, [
    `[info] Detecting server IPs and ports in file '${file}'`,
    '[info] Using filter: tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-fin|tcp-rst) == (tcp-syn|tcp-ack) or (ip6[6] == 6 and ip6[53] & 0x17 == 0x12)',
    '[info] Server-IP    Port  Connections',
    '[info] 10.10.10.1   80    38',
    '[info] 10.10.10.2   7001  3',
    '[info] 2001:db8::1  443   1',
  ]);
  const json = await run(['diag', 'traffic', 'servers', '--read', file, '--json', '--max-packets', '40']);
  assert.equal(json.code, 0);
  const report = JSON.parse(json.lines.join('\n')) as { servers: unknown[]; synAcks: number; stoppedBy: string; ok: boolean };
  assert.deepEqual(report.servers, [{ ip: '10.10.10.1', port: 80, connections: 38 }, { ip: '10.10.10.2', port: 7001, connections: 2 }]);
  assert.equal(report.synAcks, 40);
  assert.equal(report.stoppedBy, 'packets');
  assert.equal(report.ok, true);
});

test('no SYN-ACK at all: the empty table, a hint, exit status 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-traffic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'quiet.pcap');
  await writeFile(file, pcapFile([], { linkType: 1 }));
  const { code, lines } = await run(['diag', 'traffic', 'servers', '--read', file]);
  assert.equal(code, 1);
  assert.equal(lines[2], '[info] Server-IP  Port  Connections');
  assert.match(lines[3]!, /^\[warn\] no server answered a connection in '.*quiet\.pcap' \(no SYN-ACK among 0 packets\)/);
});

test('bad flags are usage errors before anything runs; a missing file is a plain error', async () => {
  await assert.rejects(run(['--read', 'x.pcap', '--interface', 'eth0']), UsageError);
  await assert.rejects(run(['--read', 'x.pcap', '--time', '5']), UsageError);
  await assert.rejects(run(['--read', 'x.pcap', '--max-packets', '1.5']), UsageError);
  await assert.rejects(run(['--read', 'x.pcap', '--max-packets', '0']), UsageError);
  await assert.rejects(run(['--interface', 'eth0', '--time', '0']), UsageError);
  await assert.rejects(run(['--interface', 'bad name']), UsageError);
  await assert.rejects(run(['--read', '/nonexistent/x.pcap']), (e: Error) => e instanceof UserError && /no such file/.test(e.message));
});
