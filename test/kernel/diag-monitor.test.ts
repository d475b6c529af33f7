// `ux-tunnel-receive diag monitor detect`: three senders, one behind a NAT router, tunnels to one collector.
//
//   ns s1  eth0 10.10.10.11/24 ------------------------------+
//   ns s2  eth0 10.10.10.12/24 ------------------------------+-- br0 10.10.10.10/24   ns collector
//   ns nat eth0 10.10.10.20/24 (SNAT of IP proto 115) -------+   (plain ip l2tp tunnels to all three,
//          in0  192.168.10.1/24                                    tcpdump -i any, the CLI)
//   ns s3  eth0 192.168.10.13/24, default via 192.168.10.1
//
// Each sender has an unmanaged L2TPv3-over-IP tunnel to 10.10.10.10 whose tunnel ID = session ID = its own address
// as a number, and pings the broadcast address of its session subnet twice a second (any frame makes L2TP packets).
// The collector sees s3 as 10.10.10.20 carrying session ID 192.168.10.13: NAT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, createNetns, requireL2tp, type Netns } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { background, cli, reportLines } from './lib/diag.js';
import { execOrThrow } from '../../src/kernel/exec.js';
import { parseIPv4 } from '../../src/config/values.js';
import { scratchDir } from './lib/scratch.js';

const COLLECTOR = '10.10.10.10';
const NAT_OUTSIDE = '10.10.10.20';

async function tunnel(ns: Netns, local: string, remote: string, id: number, session: string, inner: string | null): Promise<void> {
  await ns.ip(
    `l2tp add tunnel tunnel_id ${id} peer_tunnel_id ${id} encap ip local ${local} remote ${remote}`,
    `l2tp add session name ${session} tunnel_id ${id} session_id ${id} peer_session_id ${id}`,
    `link set ${session} up`,
    ...(inner ? [`addr add ${inner} dev ${session}`] : []),
  );
}

test('diag monitor detect lists three tunnels with their IDs and NAT status, and the tunnels.conf line for the NAT one', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-diag-monitor-');
  const collector = await createNetns(t, 'collector');
  const s1 = await createNetns(t, 's1');
  const s2 = await createNetns(t, 's2');
  const nat = await createNetns(t, 'nat');
  const s3 = await createNetns(t, 's3');

  await collector.ip('link add br0 type bridge', `addr add ${COLLECTOR}/24 dev br0`, 'link set br0 up');
  for (const [index, ns, ip] of [[1, s1, '10.10.10.11'], [2, s2, '10.10.10.12'], [3, nat, NAT_OUTSIDE]] as const) {
    await execOrThrow(['ip', 'link', 'add', `p${index}`, 'netns', collector.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    await collector.ip(`link set p${index} master br0`, `link set p${index} up`);
    await ns.ip(`addr add ${ip}/24 dev eth0`, 'link set eth0 up');
  }
  await connect(nat, 'in0', '192.168.10.1/24', s3, 'eth0', '192.168.10.13/24');
  await s3.ip('route add default via 192.168.10.1');
  await nat.run('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  await execOrThrow(nat.argv('nft', '-f', '-'), {
    input: `table ip uxt_nat {\n chain post {\n  type nat hook postrouting priority srcnat;\n  oifname "eth0" ip protocol 115 snat to ${NAT_OUTSIDE}\n }\n}\n`,
  });

  const id = (ip: string) => parseIPv4(ip)!;
  await tunnel(s1, '10.10.10.11', COLLECTOR, id('10.10.10.11'), 'l2tp0', '172.16.0.11/24');
  await tunnel(s2, '10.10.10.12', COLLECTOR, id('10.10.10.12'), 'l2tp0', '172.16.0.12/24');
  await tunnel(s3, '192.168.10.13', COLLECTOR, id('192.168.10.13'), 'l2tp0', '172.16.0.13/24');
  await tunnel(collector, COLLECTOR, '10.10.10.11', id('10.10.10.11'), 'l2tpc1', null);
  await tunnel(collector, COLLECTOR, '10.10.10.12', id('10.10.10.12'), 'l2tpc2', null);
  await tunnel(collector, COLLECTOR, NAT_OUTSIDE, id('192.168.10.13'), 'l2tpc3', null);
  for (const ns of [s1, s2, s3]) background(ns, 'ping', '-b', '-q', '-i', '0.5', '172.16.0.255');

  // tunnels.conf knows s1 and s2, not the NAT'ed s3, and names a fourth sender that sends nothing.
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, `${COLLECTOR} 10.10.10.11 - -\n${COLLECTOR} 10.10.10.12 - -\n${COLLECTOR} 10.10.10.14 - -\n`);
  const saved = join(dir, 'any.pcap');
  const recording = await startCapture(collector, 'any', saved, ['ip', 'proto', '115']);
  // Meanwhile, in the same namespace, a capture on an interface that does not exist fails in plain words.
  const [live, missing] = await Promise.all([
    cli(collector, 'receive', '--config', conf, 'diag', 'monitor', 'detect', '--time', '4'),
    cli(collector, 'receive', '--config', conf, 'diag', 'monitor', 'detect', '--interface', 'nosuch0', '--time', '1'),
  ]);
  await recording.stop();
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ux-tunnel-receive: error: interface 'nosuch0' does not exist: check the name with "ip link"/m);

  const table = [
    '[info] Type  Dst-IP       Src-IP       Tunnel-ID                  NAT-Status',
    '[info] L2TP  10.10.10.10  10.10.10.11  10.10.10.11(168430091)     no',
    '[info] L2TP  10.10.10.10  10.10.10.12  10.10.10.12(168430092)     no',
    '[info] L2TP  10.10.10.10  10.10.10.20  192.168.10.13(3232238093)  yes',
    '[info] Detected tunnels: 3',
    `[warn] tunnel 192.168.10.13(3232238093) from 10.10.10.20 to 10.10.10.10 is not in ${conf}: add the line "10.10.10.10 10.10.10.20 - 192.168.10.13"`,
  ];
  const lines = reportLines(live);
  assert.equal(live.code, 1, `a tunnel is missing from tunnels.conf and one is unseen: exit 1\n${live.stdout}${live.stderr}`);
  assert.equal(lines[0], "[info] Detecting tunnels on interface 'any', capture time: 4s");
  assert.deepEqual(lines.slice(1, 7), table);
  assert.match(lines[7] ?? '', new RegExp(`^\\[warn\\] ${conf.replace(/\./g, '\\.')}:3: "10\\.10\\.10\\.10 10\\.10\\.10\\.14 - -" .*no packets seen in 4s`));
  assert.equal(lines.length, 8, live.stdout);

  // --read on the capture tcpdump saved meanwhile (both directions, whole frames): the same answer. And with the
  // suggested line added and the dead one removed, tunnels.conf agrees with the traffic: exit 0.
  const fixedConf = join(dir, 'fixed.conf');
  await writeFile(fixedConf, `${COLLECTOR} 10.10.10.11 - -\n${COLLECTOR} 10.10.10.12 - -\n10.10.10.10 10.10.10.20 - 192.168.10.13\n`);
  const [read, fixed] = await Promise.all([
    cli(collector, 'receive', '--config', conf, 'diag', 'monitor', 'detect', '--read', saved),
    cli(collector, 'receive', '--config', fixedConf, '--json', 'diag', 'monitor', 'detect', '--read', saved),
  ]);
  assert.equal(read.code, 1);
  assert.deepEqual(reportLines(read), [`[info] Detecting tunnels in file '${saved}'`, ...table, lines[7]!.replace('in 4s', 'in the capture')]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  const report = JSON.parse(fixed.stdout) as { tunnels: Array<{ srcIp: string; tunnelId: number; nat: boolean; config: string }>; unseen: unknown[]; ok: boolean };
  assert.deepEqual(report.tunnels.map((r) => [r.srcIp, r.tunnelId, r.nat, r.config]), [
    ['10.10.10.11', 168430091, false, 'configured'],
    ['10.10.10.12', 168430092, false, 'configured'],
    ['10.10.10.20', 3232238093, true, 'configured'],
  ]);
  assert.deepEqual(report.unseen, []);
});
