import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../args.js';
import { MONITOR_VALUE_FLAGS, runMonitorDetect } from './diag-monitor.js';
import { cookedV1, ETH_IPV4, l2tpV4, pcapFile } from '../../diag/test-frames.js';

async function run(argv: string[], conf: string): Promise<{ code: number; lines: string[] }> {
  // Parsed as main.ts does: with the flags of every diag command (--max-packets among them).
  const args = parseArgs(argv, [...MONITOR_VALUE_FLAGS, 'max-packets', 'config'], ['json', 'dry-run']);
  let text = '';
  const code = await runMonitorDetect(args, conf, { write: (t) => (text += t) });
  return { code, lines: text.split('\n').slice(0, -1) };
}

// Two senders behind NAT (as in the vendor guide), one direct; cooked frames as tcpdump -i any writes them.
function capture(): Buffer {
  const frames = [
    l2tpV4('192.168.10.11', '10.10.10.10', 168430091),
    l2tpV4('192.168.10.12', '10.10.10.10', 168430092),
    l2tpV4('10.10.10.13', '10.10.10.10', 168430093),
    l2tpV4('10.10.10.10', '10.10.10.13', 168430093), // the collector's own packet into a tunnel
  ].map((f, i) => cookedV1(ETH_IPV4, f.subarray(14), i === 3 ? 4 : 0));
  return pcapFile(frames, { linkType: 113 });
}

test('diag monitor detect --read lists each tunnel with its ID and NAT status, then what tunnels.conf lacks', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-monitor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'any.pcap');
  await writeFile(file, capture());
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '10.10.10.10 192.168.10.11 - 10.10.10.11\n10.10.10.10 10.10.10.13 - -\n10.10.10.10 10.10.10.14 - -\n');
  const { code, lines } = await run(['diag', 'monitor', 'detect', '--read', file], conf);
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    `[info] Detecting tunnels in file '${file}'`,
    '[info] Type  Dst-IP       Src-IP         Tunnel-ID               NAT-Status',
    '[info] L2TP  10.10.10.10  10.10.10.13    10.10.10.13(168430093)  no',
    '[info] L2TP  10.10.10.10  192.168.10.11  10.10.10.11(168430091)  yes',
    '[info] L2TP  10.10.10.10  192.168.10.12  10.10.10.12(168430092)  yes',
    '[info] Detected tunnels: 3',
    `[warn] tunnel 10.10.10.12(168430092) from 192.168.10.12 to 10.10.10.10 is not in ${conf}: add the line "10.10.10.10 192.168.10.12 - 10.10.10.12"`,
    `[warn] ${conf}:3: "10.10.10.10 10.10.10.14 - -" (tunnel ID 10.10.10.14(168430094)): no packets seen in the capture: check that ux-tunnel-transmit runs on the sender (it sends a keepalive every 20s) and that no firewall drops IP protocol 115; if the tunnel is listed above under another source address or ID, correct this line`,
  ]);

  await writeFile(conf, '10.10.10.10 192.168.10.11 - 10.10.10.11\n10.10.10.10 10.10.10.13 - -\n10.10.10.10 192.168.10.12 - 168430092\n');
  const agreed = await run(['diag', 'monitor', 'detect', '--read', file], conf);
  assert.equal(agreed.code, 0, agreed.lines.join('\n'));
  assert.equal(agreed.lines.length, 6);

  const json = await run(['diag', 'monitor', 'detect', '--read', file, '--json'], join(dir, 'missing.conf'));
  assert.equal(json.code, 1);
  const report = JSON.parse(json.lines.join('')) as { tunnels: Array<{ srcIp: string; nat: boolean; config: string; fix: string }>; ok: boolean };
  assert.deepEqual(report.tunnels.map((r) => [r.srcIp, r.nat, r.config, r.fix]), [
    ['10.10.10.13', false, 'unconfigured', '10.10.10.10 10.10.10.13 - -'],
    ['192.168.10.11', true, 'unconfigured', '10.10.10.10 192.168.10.11 - 10.10.10.11'],
    ['192.168.10.12', true, 'unconfigured', '10.10.10.10 192.168.10.12 - 10.10.10.12'],
  ]);
  assert.equal(report.ok, false);
});

test('nothing detected, or a broken tunnels.conf: said in plain words, exit status 1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-monitor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const empty = join(dir, 'empty.pcap');
  await writeFile(empty, pcapFile([], { linkType: 276 }));
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '10.10.10.10 10.10.10.300 - -\n');
  const { code, lines } = await run(['diag', 'monitor', 'detect', '--read', empty], conf);
  assert.equal(code, 1);
  assert.match(lines[1]!, /^\[warn\] .*tunnels\.conf:1: transmit-side-ip: /);
  assert.match(lines[2]!, /^\[warn\] fix .*tunnels\.conf first; detected tunnels are not compared with it$/);
  assert.equal(lines[3], '[info] Type  Dst-IP  Src-IP  Tunnel-ID  NAT-Status');
  assert.equal(lines[4], '[info] Detected tunnels: 0');
  assert.match(lines[5]!, /^\[warn\] no L2TPv3 packets \(IP protocol 115, or over UDP\) arrived in '.*empty\.pcap'/);
  assert.equal(lines.length, 6);
});

test('--max-packets is not an option of monitor detect', async () => {
  await assert.rejects(run(['diag', 'monitor', 'detect', '--max-packets', '5'], '/nonexistent'), /--max-packets does not apply/);
});
