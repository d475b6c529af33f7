// L2TPv3 cookies (cookie= on both sides' lines): the kernel drops a packet whose 64-bit cookie is not the session's.
//
//   client1 --+---- lan bridge ----+-- collector 10.1.0.10  ux-tunnel-receive + monitor; tunnels.conf (0600):
//             |                    |     web1 cookie=C1, web3 cookie=C3
//             |                    +-- web1 10.1.0.11  nginx, ux-tunnel-transmit cookie=C1 (right)
//             |                    +-- web2 10.1.0.12  a spoofer: plain `ip l2tp` with web1's session ID
//             +-- router (NAT) ------- web3 10.2.0.13  nginx, ux-tunnel-transmit cookie=WRONG, then C3
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { createDeployment, mustSucceed, COLLECTOR_IP, type Web } from './lib/deployment.js';
import { scratchDir } from './lib/scratch.js';
import { startCapture } from './lib/capture.js';
import { compareStreams, fetchKeepAlive } from './lib/traffic.js';
import { exec, spawnStream } from '../../src/kernel/exec.js';
import type { TunnelHealth } from '../../src/monitor/snapshot.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');
const C1 = '5a17c0ffee0c0de1';
const C3 = '9e3779b97f4a7c15';
const WRONG = '0badc0de0badc0de';
const INTERVAL = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status { status: string; problems: string[]; tunnels: Array<{ tunnelId: number; health: TunnelHealth | null }> }

test('cookies: the right one flows byte-identical, a wrong one is dropped and reported (never printed), a spoofer without it gets nothing in', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-cookie-');
  const d = await createDeployment(t, dir);
  const [web1, web2, web3] = d.webs as [Web, Web, Web];
  const runDir = join(dir, 'collector-run');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: runDir };
  const receive = (...args: string[]) => exec(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, ...args), { env });
  const secretFree = (text: string, what: string) => {
    for (const c of [C1, C3, WRONG]) assert.ok(!text.includes(c), `${what} shows no cookie:\n${text}`);
  };
  const transmitLine = async (web: Web, cookie: string) => {
    await writeFile(web.config, `${COLLECTOR_IP} ${web.ip} eth0 i80 cookie=${cookie}\n`);
    await chmod(web.config, 0o600);
  };

  // A cookie in a file others can read: refused, nothing applied.
  await writeFile(d.tunnelsConf, `${d.tunnelsLine(web1)} cookie=${C1}\n${d.tunnelsLine(web3)} cookie=${C3}\n`);
  await chmod(d.tunnelsConf, 0o644);
  const refused = await receive('start');
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /holds a tunnel cookie \(a secret\) and is readable by others than its owner \(mode 0644\): run chmod 600/);
  assert.equal((await d.collector.probe('ip', 'link', 'show', 'ruei-mtun')).code, 1, 'nothing was applied');
  await chmod(d.tunnelsConf, 0o600);

  const dry = mustSucceed(await receive('start', '--dry-run'), 'receive start --dry-run');
  assert.match(dry.stdout, /^\[#\] ip l2tp add session name ruei-mtun-\d{5} .* cookie '<hidden>' peer_cookie '<hidden>'$/m);
  secretFree(dry.stdout + dry.stderr, 'start --dry-run');
  t.after(async () => {
    for (const web of [web1, web3]) await d.transmit(web, 'stop');
    await receive('stop');
  });
  const started = mustSucceed(await receive('start'), 'receive start');
  secretFree(started.stdout + started.stderr, 'start');
  await transmitLine(web1, C1);
  await transmitLine(web3, WRONG);
  for (const web of [web1, web3]) secretFree(mustSucceed(await d.transmit(web, 'start'), `transmit start on ${web.name}`).stdout, `${web.name} start`);

  let log = '';
  const monitor = spawnStream(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'monitor'), env);
  monitor.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  t.after(() => monitor.kill('SIGKILL'));
  const keepalives = [web1, web3].map((web) => spawnStream(web.ns.argv(process.execPath, join(BIN, 'ux-tunnel-transmit'), '--config', web.config, 'keepalive', '--interval', String(INTERVAL)), { ...process.env, UX_TUNNEL_RUN_DIR: web.runDir }));
  t.after(() => keepalives.forEach((k) => k.kill('SIGKILL')));

  // Traffic to both: web1's TCP streams arrive byte-identical, none of web3's frames (wrong cookie) does.
  // Snap length 2048: whole client frames (at most 1514 bytes), and a deep capture ring on the 64000-MTU ruei-mtun.
  const mtun = await startCapture(d.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), ['tcp port 80'], 2048);
  const wire = await startCapture(d.clients[0]!, 'eth0', join(dir, 'client.pcap'), ['tcp port 80']);
  for (const web of [web1, web3]) await fetchKeepAlive(d.clients[0]!, web, dir, ['/index.html', '/medium.bin']);
  await sleep(1000);
  const wireCapture = await wire.stop();
  assert.equal(wireCapture.droppedByKernel, 0, 'the capture on the client\'s wire dropped nothing');
  const onWire = wireCapture.packets;
  const mtunCapture = await mtun.stop();
  assert.equal(mtunCapture.droppedByKernel, 0, 'the capture on ruei-mtun dropped nothing (else the comparison means nothing)');
  const mirrored = mtunCapture.packets;
  const fromWeb3 = (p: { data: Buffer }) => p.data.includes(Buffer.from([10, 2, 0, 13]));
  const compared = compareStreams([onWire], mirrored, 80, [web1.ip]);
  assert.ok(compared.halves >= 2 && compared.clientBytes > 200_000, `web1 carried ${compared.clientBytes} bytes`);
  assert.deepEqual(compared.problems, [], 'every byte of web1\'s connection is on ruei-mtun, identical');
  assert.equal(mirrored.filter(fromWeb3).length, 0, 'none of web3\'s frames (wrong cookie) reached ruei-mtun');

  // The mismatch is reported: status, diag tunnels check, the monitor's log; never the values.
  const status = async () => JSON.parse((await receive('status', '--json')).stdout) as Status;
  const mismatchOf = (s: Status, web: Web) => s.tunnels.find((r) => r.tunnelId === web.tunnelId)?.health?.cookieMismatch ?? null;
  let s = await status();
  for (let i = 0; i < 60 && !mismatchOf(s, web3); i++) s = (await sleep(1000), await status());
  assert.match(mismatchOf(s, web3)?.reason ?? 'none', /the web server's cookie is not the one of tunnels\.conf line 2: copy the cookie= of line 2/);
  assert.equal(mismatchOf(s, web1), null, 'web1 agrees');
  assert.equal(s.status, 'FAIL');
  const text = await receive('status');
  assert.equal(text.code, 1);
  assert.match(text.stdout, /\[error\] line 2: tunnel 10\.2\.0\.13\(167903245\) \(10\.1\.0\.1\): cookie mismatch .* the kernel drops all its frames/);
  const check = await receive('diag', 'tunnels', 'check');
  assert.equal(check.code, 1);
  assert.match(check.stdout, /cookie mismatch/);
  assert.match(log, /cookie mismatch, the kernel drops all its frames/);
  for (const out of [JSON.stringify(s), text.stdout, check.stdout, log, (await receive('config', 'list', '--json')).stdout]) secretFree(out, 'reports');

  // Fixed on the web server: its frames flow, the mismatch clears.
  await transmitLine(web3, C3);
  mustSucceed(await d.transmit(web3, 'restart'), 'transmit restart on web3');
  const fixed = await startCapture(d.collector, 'ruei-mtun', join(dir, 'fixed.pcap'), ['tcp port 80'], 2048);
  await fetchKeepAlive(d.clients[0]!, web3, dir, ['/index.html']);
  await sleep(1000);
  assert.ok((await fixed.stop()).packets.some(fromWeb3), 'web3\'s frames arrive with the right cookie');
  for (let i = 0; i < 30 && mismatchOf(s, web3); i++) s = (await sleep(1000), await status());
  assert.equal(mismatchOf(s, web3), null, 'the mismatch cleared');

  // A spoofer that sends web1's session ID without the cookie gets nothing in, even with source pinning off; with
  // the cookie (the control: the check can fail) it would.
  mustSucceed(await receive('reload', '--source-pinning', 'off'), 'reload --source-pinning off');
  const spoof = async (cookie: string | null) => {
    const id = String(web1.tunnelId);
    await web2.ns.run('ip', 'l2tp', 'add', 'tunnel', 'tunnel_id', id, 'peer_tunnel_id', id, 'encap', 'ip', 'local', web2.ip, 'remote', COLLECTOR_IP);
    await web2.ns.run('ip', 'l2tp', 'add', 'session', 'name', 'spoof', 'tunnel_id', id, 'session_id', id, 'peer_session_id', id, ...(cookie ? ['cookie', cookie, 'peer_cookie', cookie] : []));
    await web2.ns.ip('link set dev spoof addrgenmode none', 'link set dev spoof up', 'addr add 198.51.100.2/24 dev spoof', 'neigh add 198.51.100.99 lladdr 02:00:00:00:00:99 dev spoof nud permanent');
    const capture = await startCapture(d.collector, 'ruei-mtun', join(dir, `spoof-${cookie ?? 'none'}.pcap`), ['icmp']);
    await web2.ns.probe('ping', '-c', '50', '-i', '0.02', '-p', 'baadf00d', '-W', '1', '-q', '198.51.100.99');
    await sleep(500);
    const landed = (await capture.stop()).packets.filter((p) => p.data.includes(Buffer.from('baadf00dbaadf00d', 'hex'))).length;
    await web2.ns.run('ip', 'l2tp', 'del', 'tunnel', 'tunnel_id', id);
    return landed;
  };
  assert.equal(await spoof(null), 0, 'no spoofed frame without the cookie');
  assert.equal(await spoof(WRONG), 0, 'no spoofed frame with a wrong cookie');
  assert.equal(await spoof(C1), 50, 'the control: with the cookie, the spoofer\'s frames land');
  mustSucceed(await receive('reload'), 'reload (pinning on again)');
  assert.ok((await readFile(d.tunnelsConf, 'utf8')).includes(C1), 'the file still holds the cookies');
});
