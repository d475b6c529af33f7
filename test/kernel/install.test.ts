// npm install -g, then install / uninstall on both sides, in the lab's throw-away root: every file goes away again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exec, execOrThrow } from '../../src/kernel/exec.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const WATCHED = ['/usr/bin', '/usr/lib/node_modules', '/etc/systemd/system', '/opt'];

async function snapshot(): Promise<string[]> {
  const { stdout } = await exec(['find', ...WATCHED.filter((d) => existsSync(d)), '-maxdepth', '4']);
  return stdout.split('\n').filter(Boolean).sort();
}

test('install then uninstall of both sides leaves no file behind; the installed units pass systemd-analyze verify', async (t) => {
  assert.ok(process.env.UX_TUNNEL_IN_LAB, 'this test writes to /etc and /usr: it runs only in the lab VM');
  const env = { ...process.env };
  delete env.UX_TUNNEL_RUEI_CONF;
  delete env.UX_TUNNEL_CONFIG;
  const before = await snapshot();
  t.after(() => exec(['npm', 'uninstall', '-g', '--offline', 'ux-tunnel']));

  await execOrThrow(['npm', 'install', '-g', '--offline', '--no-audit', '--no-fund', REPO], { env });
  for (const side of ['receive', 'transmit']) {
    const installed = await execOrThrow([`/usr/bin/ux-tunnel-${side}`, 'install'], { env });
    assert.match(installed.stdout, /next steps:/);
  }
  assert.ok(existsSync('/opt/ruei/tunnel/receive/conf/tunnels.conf'), 'receive config created');
  assert.ok(existsSync('/opt/ruei/tunnel/transmit/conf/tunnel.conf.example'), 'transmit example created');
  for (const unit of ['ux-tunnel-receive.service', 'ux-tunnel-transmit.service']) {
    const text = readFileSync(`/etc/systemd/system/${unit}`, 'utf8');
    assert.match(text, /ExecStart=\/usr\/bin\/ux-tunnel-/, `${unit} runs the installed executable`);
    const verify = await exec(['systemd-analyze', 'verify', `/etc/systemd/system/${unit}`]);
    assert.equal(verify.code, 0, `systemd-analyze verify ${unit}: ${verify.stderr}`);
  }
  // Installing again keeps an existing config and changes nothing else.
  const again = await execOrThrow(['/usr/bin/ux-tunnel-receive', 'install'], { env });
  assert.match(again.stdout, /keeping \/opt\/ruei\/tunnel\/receive\/conf\/tunnels.conf/);

  for (const side of ['receive', 'transmit']) await execOrThrow([`/usr/bin/ux-tunnel-${side}`, 'uninstall'], { env });
  await execOrThrow(['npm', 'uninstall', '-g', '--offline', 'ux-tunnel'], { env });
  assert.deepEqual(await snapshot(), before, 'the same files as before install');
});
