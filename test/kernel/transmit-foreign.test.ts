// Objects ux-tunnel-transmit does not own: a foreign clsact with foreign filters is reused and left exactly as it
// was; a foreign plain ingress qdisc (no egress hook) is refused, like bad config, before any change.
//
//   client eth0 --- lan br0 --- web eth0 [foreign clsact: ingress u32 pref 10, egress flower pref 20] ==> collector
//   (details: lib/transmit-lab.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { requireL2tp } from './lib/netns.js';
import { COLLECTOR_IP, createTransmitLab, WEB_IP } from './lib/transmit-lab.js';
import { scratchDir } from './lib/scratch.js';

interface Filter { pref: number; kind: string; options?: { actions?: Array<{ stats?: { packets: number } }> } }

test('a foreign clsact and its filters survive start and stop unchanged; a foreign ingress qdisc and bad config change nothing', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-foreign-');
  const lab = await createTransmitLab(t, dir);
  const { web } = lab;
  await lab.collectorTunnel();
  await lab.curl(`http://${WEB_IP}/small.txt`);
  const bare = await lab.webSnapshot();

  // Bad input: nothing is changed, the exit status says why (3 = configuration).
  for (const [line, message] of [
    [`${COLLECTOR_IP} ${WEB_IP} eth0 i80,i80`, /mirror-port-list: "i80" is listed twice/],
    [`${COLLECTOR_IP} ${WEB_IP} eth9 i80`, /mirror-if-name: there is no interface "eth9"/],
    [`${COLLECTOR_IP} 10.0.0.99 eth0 i80`, /transmit-side-ip: 10\.0\.0\.99 is not an address of this host/],
  ] as const) {
    await writeFile(lab.config, `${line}\n`);
    const bad = await lab.cli('start');
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, message);
    assert.match(bad.stderr, /nothing was changed/);
    assert.equal(await lab.webSnapshot(), bare, `${line}: nothing changed`);
  }
  await lab.writeConfig('i80');

  // A foreign plain ingress qdisc has no egress hook: start refuses and changes nothing.
  await web.run('tc', 'qdisc', 'add', 'dev', 'eth0', 'ingress');
  await web.run('tc', 'filter', 'add', 'dev', 'eth0', 'ingress', 'pref', '10', 'protocol', 'ip', 'u32', 'match', 'ip', 'dport', '22', '0xffff', 'action', 'pass');
  const withIngress = await lab.webSnapshot();
  const refused = await lab.cli('start');
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /eth0 has an "ingress" qdisc that is not ours: it has no egress hook/);
  assert.equal(await lab.webSnapshot(), withIngress, 'nothing changed: no interface, no filter');
  await web.run('tc', 'qdisc', 'del', 'dev', 'eth0', 'ingress');

  // A foreign clsact with filters on both hooks: reused; ours come and go; theirs stay and keep working.
  await web.run('tc', 'qdisc', 'add', 'dev', 'eth0', 'clsact');
  await web.run('tc', 'filter', 'add', 'dev', 'eth0', 'ingress', 'pref', '10', 'protocol', 'ip', 'u32', 'match', 'ip', 'dport', '22', '0xffff', 'action', 'pass');
  await web.run('tc', 'filter', 'add', 'dev', 'eth0', 'egress', 'pref', '20', 'protocol', 'ip', 'flower', 'ip_proto', 'tcp', 'src_port', '80', 'action', 'continue');
  const before = await lab.webSnapshot();
  await lab.cliOk('start');
  const foreignCount = async () => {
    const egress = JSON.parse((await web.run('tc', '-j', '-s', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout) as Filter[];
    return egress.find((f) => f.pref === 20 && f.options?.actions)?.options?.actions?.[0]?.stats?.packets ?? -1;
  };
  const counted = await foreignCount();
  assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big));
  assert.ok((await foreignCount()) > counted + 100, 'the foreign egress filter still sees the traffic (ours let classification continue)');
  const ours = JSON.parse((await web.run('tc', '-j', '-s', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout) as Filter[];
  assert.ok(ours.some((f) => f.pref === 46101 && (f.options?.actions?.[0]?.stats?.packets ?? 0) > 100), 'our egress filter mirrored the response');
  await lab.cliOk('stop');
  assert.equal(await lab.webSnapshot(), before, 'the foreign clsact and both foreign filters are exactly as before start');
  const qdiscs = (await web.run('tc', 'qdisc', 'show', 'dev', 'eth0')).stdout;
  assert.match(qdiscs, /clsact/);
});
