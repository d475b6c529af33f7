// diag path: the path MTU to the collector measured with DF probes through the real route (a switch port with a
// smaller MTU drops bigger packets silently, so the search must find it by what comes back), and the verdict.
//
//   ns client              ns lan                                   ns web (ux-tunnel-transmit, eth0 = NIC and underlay)
//   eth0 10.0.0.1 ------- br0 (ports pc, pw, pk; pk's MTU set) ---- eth0 10.0.0.2
//                           +---------------------------------------- ns collector eth0 10.0.0.3
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireL2tp } from './lib/netns.js';
import { createTransmitLab } from './lib/transmit-lab.js';
import { scratchDir } from './lib/scratch.js';

interface PathJson {
  nicMtu: number;
  routeDev: string;
  routeMtu: number;
  pathMtu: number | null;
  outerBytes: number;
  whole: boolean | null;
  advice: string[];
}

test('diag path: fragmented on a 1500 path (and start says so), the MTU of a silent 4000-byte switch port found by probing', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-path-');
  const lab = await createTransmitLab(t, dir);
  await lab.writeConfig('i80');
  t.after(() => lab.cli('stop'));

  const plain = await lab.cli('diag', 'path', '--json');
  assert.equal(plain.code, 1, `exit 1: fragmented\n${plain.stdout}${plain.stderr}`);
  const p = JSON.parse(plain.stdout) as PathJson;
  assert.deepEqual([p.nicMtu, p.routeDev, p.routeMtu, p.pathMtu, p.outerBytes, p.whole], [1500, 'eth0', 1500, 1500, 1542, false]);
  assert.match(p.advice.join('\n'), /route MTU of 1458 .*MSS clamping to 1418/);
  const start = await lab.cliOk('start');
  assert.match(start.stdout, /^\[warn\] path: the largest frames \(1542-byte packets\) do not cross to 10\.0\.0\.3 whole: .*diag path/m);

  // A jumbo web server and switch, but the collector's port carries 4000 bytes: bigger packets vanish at the switch.
  await lab.web.run('ip', 'link', 'set', 'dev', 'eth0', 'mtu', '9000');
  for (const port of ['pw', 'pk', 'pc']) await lab.lan.run('ip', 'link', 'set', 'dev', port, 'mtu', port === 'pk' ? '4000' : '9000');
  await lab.collector.run('ip', 'link', 'set', 'dev', 'eth0', 'mtu', '4000');
  const jumbo = await lab.cli('diag', 'path');
  assert.equal(jumbo.code, 1, jumbo.stdout + jumbo.stderr);
  assert.match(jumbo.stdout, /^\[info\] route to 10\.0\.0\.3: dev eth0, MTU 9000$/m);
  // Linux forwards a frame up to 4 bytes over a port's MTU (room for a VLAN tag): the largest that passes is 4000..4004.
  assert.match(jumbo.stdout, /^\[info\] path MTU to 10\.0\.0\.3: 400[0-4] \(DF probes through the route\)$/m);
  assert.match(jumbo.stdout, /^\[info\] largest mirrored frame: 9014 bytes \(eth0 MTU 9000 \+ 14\), 9042 bytes on the path with L2TPv3\/IP \(\+28\)$/m);
  assert.match(jumbo.stdout, /^\[warn\] frames of connections with a 1500-byte path \(clients on the Internet\) cross whole/m);
});
