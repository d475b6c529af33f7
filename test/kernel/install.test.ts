// npm install -g, then install / uninstall on both sides: every file goes away again, and the units pass verification.
//
// The whole sequence runs in a private mount namespace whose /usr/bin, /usr/lib/node_modules, /etc/systemd/system and
// /opt are overlays on tmpfs: the test writes where a real installation writes, and the host never sees any of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from './lib/scratch.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const SANDBOXED = ['/usr/bin', '/usr/lib/node_modules', '/etc/systemd/system', '/opt'];

const SCRIPT = `
set -euo pipefail
scratch=$1 repo=$2
# overlayfs refuses an upper directory on overlayfs (the lab's root is one): the upper layers live on a tmpfs.
layers=$(mktemp -d)
mount -t tmpfs tmpfs "$layers"
i=0
for dir in ${SANDBOXED.join(' ')}; do
  mkdir -p "$dir" "$layers/u$i" "$layers/w$i"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layers/u$i,workdir=$layers/w$i" "$dir"
  i=$((i + 1))
done
unset UX_TUNNEL_RUEI_CONF UX_TUNNEL_CONFIG
snapshot() { find ${SANDBOXED.join(' ')} -maxdepth 4 | sort; }
snapshot > "$scratch/before"
npm install -g --offline --no-audit --no-fund "$repo" > "$scratch/npm.log" 2>&1
for side in receive transmit; do /usr/bin/ux-tunnel-$side install > "$scratch/install-$side"; done
/usr/bin/ux-tunnel-receive install > "$scratch/install-again"
ls /opt/ruei/tunnel/receive/conf/tunnels.conf /opt/ruei/tunnel/transmit/conf/tunnel.conf.example > "$scratch/configs"
grep -h '^ExecStart' /etc/systemd/system/ux-tunnel-*.service > "$scratch/execstart"
for unit in /etc/systemd/system/ux-tunnel-*.service; do
  systemd-analyze verify "$unit" > "$scratch/verify" 2>&1 || { echo "verify failed: $unit"; cat "$scratch/verify"; exit 3; }
done
for side in receive transmit; do /usr/bin/ux-tunnel-$side uninstall > "$scratch/uninstall-$side"; done
npm uninstall -g --offline ux-tunnel >> "$scratch/npm.log" 2>&1
snapshot > "$scratch/after"
`;

test('install then uninstall of both sides leaves no file behind; the installed units pass systemd-analyze verify', async (t) => {
  const scratch = await scratchDir(t, 'uxt-install-');
  const result = await exec(['unshare', '--mount', '--propagation', 'private', 'bash', '-c', SCRIPT, 'install-test', scratch, REPO]);
  const read = async (name: string) => (await exec(['cat', join(scratch, name)])).stdout;
  assert.equal(result.code, 0, `the install sequence failed: ${result.stdout}${result.stderr}\n${await read('npm.log')}`);

  assert.match(await read('install-receive'), /next steps:/);
  assert.match(await read('install-transmit'), /cp tunnel.conf.example tunnel.conf/);
  assert.match(await read('install-again'), /keeping \/opt\/ruei\/tunnel\/receive\/conf\/tunnels.conf/, 'a second install keeps the config');
  assert.equal((await read('configs')).trim().split('\n').length, 2, 'both config files were created');
  const execStarts = (await read('execstart')).trim().split('\n');
  assert.ok(execStarts.length >= 2 && execStarts.every((l) => /^ExecStart=\/usr\/bin\/ux-tunnel-(receive|transmit) /.test(l)), execStarts.join('\n'));
  assert.match(await read('uninstall-receive'), /uninstalled/);
  assert.equal(await read('after'), await read('before'), 'the same files as before install');
});
