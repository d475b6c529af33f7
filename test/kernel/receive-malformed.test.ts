// Malformed tunnels.conf against the CLI: each of the shared malformed files is rejected by reload (and start) with
// file:line: field, exit 3, and the running tunnels stay exactly as they were (ip -j link / l2tp / tc compared).
//
//   collector (10.10.10.10, three tunnels running) <-- ux-tunnel-receive reload with a bad file, 30+ times
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { createCollectorLab, kernelSnapshot } from './lib/receive-lab.js';
import { MALFORMED_CASES } from '../fixtures/malformed-tunnels-conf.js';
import { scratchDir } from './lib/scratch.js';

const GOOD = '# running\n10.10.10.10 10.10.10.11 - -\n10.10.10.10 10.10.10.12 - 7\n10.10.10.10 192.168.1.13 - 10.10.10.13\n';

test('malformed files, non-local addresses, foreign IDs and bad config add are refused; the kernel is unchanged', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-rx-bad-');
  const lab = await createCollectorLab(t, dir, 1);
  const { collector } = lab;
  await lab.writeConfig(GOOD);
  await lab.cliOk('start');
  const running = await kernelSnapshot(collector);
  assert.match(running, /ruei-mtun-00002/);

  assert.ok(MALFORMED_CASES.length >= 25);
  // Each case has its own file, so cases run four at a time (a CLI run costs seconds in the emulated VM); rejected
  // files never reach the kernel, and the kernel state is compared after every group.
  const GROUP = 4;
  for (let first = 0; first < MALFORMED_CASES.length; first += GROUP) {
    await Promise.all(MALFORMED_CASES.slice(first, first + GROUP).map(async (c, offset) => {
      const index = first + offset;
      const file = join(dir, `bad-${index}.conf`);
      await writeFile(file, c.text, { mode: 0o600 }); // root-only: a case with a cookie is judged by its content, not refused for its mode
      // Every case through reload; start shares the code path, so a few suffice.
      for (const command of index < 3 ? ['reload', 'start'] : ['reload']) {
        const result = await lab.cli('--config', file, command);
        assert.equal(result.code, 3, `${c.name}: ${command} exits 3 (bad configuration), not ${result.code}: ${result.stderr}`);
        const where = `${file}:${c.line}: ${c.field ? `${c.field}: ` : ''}`;
        assert.ok(result.stderr.includes(`error: ${where}`), `${c.name}: the error names ${where}\n${result.stderr}`);
        assert.match(result.stderr, /nothing was changed/);
        assert.doesNotMatch(result.stderr + result.stdout, /\[#\]/, `${c.name}: no command was run`);
      }
    }));
    assert.equal(await kernelSnapshot(collector), running, `cases ${first + 1}..${first + GROUP}: the kernel state is unchanged`);
  }

  // A receiving IP that is not local to the collector.
  await writeFile(lab.config, `${GOOD}192.0.2.99 10.10.10.14 - -\n`);
  const notLocal = await lab.cli('reload');
  assert.equal(notLocal.code, 3);
  assert.ok(notLocal.stderr.includes(`${lab.config}:5: receiving-side-ip: 192.0.2.99 is not an address of this host`), notLocal.stderr);

  // A tunnel ID already used by an L2TP tunnel we do not own: refused, the foreign tunnel left alone.
  await collector.ip('l2tp add tunnel tunnel_id 99 peer_tunnel_id 99 encap ip local 10.10.10.10 remote 10.10.10.99',
    'l2tp add session name other0 tunnel_id 99 session_id 99 peer_session_id 99');
  const withForeign = await kernelSnapshot(collector);
  await writeFile(lab.config, `${GOOD}10.10.10.10 10.10.10.15 - 99\n`);
  const conflict = await lab.cli('reload');
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /line 5: tunnel ID 0\.0\.0\.99\(99\) is already used by an L2TP tunnel ux-tunnel-receive does not own \(session interfaces other0\)/);
  assert.equal(await kernelSnapshot(collector), withForeign);

  // config add with bad arguments leaves the file and the kernel alone.
  await writeFile(lab.config, GOOD);
  for (const args of [['10.10.10.10', '10.10.10.300'], ['10.10.10.10', '10.10.10.11'], ['10.10.10.10', '10.10.10.20', '0'], ['192.0.2.99', '10.10.10.20']]) {
    const result = await lab.cli('config', 'add', ...args);
    assert.equal(result.code, 3, `config add ${args.join(' ')}: exit 3: ${result.stderr}`);
    // Told as the new line's problem (it has no line number yet), never as "line 5" of a 4-line file.
    assert.match(result.stderr, new RegExp(`config add: .*; ${lab.config.replaceAll('/', '\\/')} was not changed`), result.stderr);
    assert.ok(!result.stderr.includes(`${lab.config}:5: `), result.stderr);
  }
  const removeUnknown = await lab.cli('config', 'remove', '10.10.10.77');
  assert.equal(removeUnknown.code, 1);
  // The same web server again: "already configured on line 2", not a new tunnel ID.
  const again = await lab.cli('config', 'add', '10.10.10.10', '10.10.10.11');
  assert.match(again.stderr, /10\.10\.10\.11 is already configured on line \d+ \(".*"\): nothing to add/);
  assert.match(removeUnknown.stderr, /no tunnel has transmit address or tunnel ID 10\.10\.10\.77/);
  assert.equal(await readFile(lab.config, 'utf8'), GOOD);
  assert.equal(await kernelSnapshot(collector), withForeign);

  // --dry-run prints the exact commands and changes nothing.
  await writeFile(lab.config, `${GOOD}10.10.10.10 10.10.10.16 - -\n`);
  const dry = await lab.cliOk('reload', '--dry-run');
  assert.match(dry.stdout, /^\[#\] ip l2tp add tunnel tunnel_id 168430096 peer_tunnel_id 168430096 encap ip local 10\.10\.10\.10 remote 10\.10\.10\.16$/m);
  assert.match(dry.stdout, /^\[#\] tc qdisc add dev ruei-mtun-00003 ingress_block 1381320009 clsact$/m);
  const stopDry = await lab.cliOk('stop', '--dry-run');
  assert.match(stopDry.stdout, /^\[#\] ip link del dev ruei-mtun$/m);
  assert.doesNotMatch(stopDry.stdout, /tunnel_id 99\b/, 'stop never touches the foreign tunnel');
  assert.equal(await kernelSnapshot(collector), withForeign);

  await lab.cliOk('stop');
  assert.match((await collector.run('ip', 'l2tp', 'show', 'session')).stdout, /other0/, 'the foreign session survived stop');
});
