// `ux-tunnel-receive status` joins the monitor's state file to its table (text, --json, --watch), on this host:
// reading needs no L2TP (the kernel part is simply empty here), and the state file is the monitor's only output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import type { HealthSnapshot, TunnelHealth } from '../../src/monitor/snapshot.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'ux-tunnel-receive');
const TUNNEL_ID = 0x0a0a0a0b;

function snapshot(pid: number, updated: Date): HealthSnapshot {
  const health: TunnelHealth = {
    line: 1, tunnelId: TUNNEL_ID, localIp: '10.10.10.10', remoteIp: '10.10.10.11', interface: 'ruei-mtun-00000', state: 'stale',
    lastKeepalive: new Date(updated.getTime() - 75_000).toISOString(), keepaliveAgeSeconds: 75, host: 'web1', interval: 20, seq: 9,
    source: '10.10.10.11', nat: false, keepalives: 9, sequenceGaps: 1, senderRestarts: 0, mirroredFrames: 1000, sentFrames: 1000,
    receivedFrames: 990, lostFrames: 10, lossPercent: 1, senderErrors: 0, senderDrops: 0, budgetShed: 0, receiveErrors: 0,
    lastInterval: { seconds: 20, sent: 100, received: 95, lost: 5, lossPercent: 5 },
  };
  return {
    version: 1, pid, started: updated.toISOString(), updated: updated.toISOString(), config: 'x', lossWarnPercent: 1, tunnels: [health],
    unknownSenders: [{ source: '192.0.2.9', sessionId: 7, tunnelId: 7, host: 'stray', reason: 'session', count: 3, last: updated.toISOString() }],
    unknownKeepalives: 3, malformedKeepalives: 2,
  };
}

async function setup(t: Parameters<typeof scratchDir>[0], pid: number, updated = new Date()) {
  const dir = await scratchDir(t, 'uxt-status-');
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '10.10.10.10 10.10.10.11 - -\n');
  await writeFile(join(dir, 'receive-monitor.json'), JSON.stringify(snapshot(pid, updated)));
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: dir };
  return (...args: string[]) => exec([BIN, '--config', conf, 'status', ...args], { env, timeoutMs: 30_000 });
}

test('status shows each tunnel\'s health from a running monitor, in text and --json', async (t) => {
  const status = await setup(t, process.pid);
  const text = await status();
  // This host has no tunnel in its kernel: the configured one is missing, so status fails (exit 1) and says what to do.
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, /^\[error\] line 1: tunnel .* \(10\.10\.10\.11\) is missing from the kernel: run ux-tunnel-receive start/m);
  assert.match(text.stdout, /^\[info\] Status: FAIL$/m);
  assert.match(text.stdout, /monitor: running \(pid \d+\).*3 keepalive\(s\) from unknown senders, 2 malformed/);
  assert.match(text.stdout, /Health\s+Keepalive\s+NAT\s+Sent\s+Received\s+Lost \(last\)\s+Lost \(total\)\s+Dropped \(sender\)\s+Shed \(budget\)\s+KA gaps/);
  assert.match(text.stdout, /stale\s+75 s ago\s+no\s+1000\s+990\s+5 \(5\.00 %\)\s+10 \(1\.00 %\)\s+0\s+0\s+1/);
  assert.match(text.stdout, /\[warn\] keepalives from 192\.0\.2\.9 \(host "stray"\): 3, .*not in tunnels\.conf/);
  const json = JSON.parse((await status('--json')).stdout) as { status: string; monitor: { running: boolean }; tunnels: Array<{ health: TunnelHealth | null }> };
  assert.equal(json.status, 'FAIL');
  assert.equal(json.monitor.running, true);
  assert.equal(json.tunnels[0]?.health?.lostFrames, 10);
});

test('a state file whose monitor is gone or silent is reported as not running, without health columns', async (t) => {
  const gone = await setup(t, 2 ** 22 + 12345); // above the default pid_max: no such process
  const text = (await gone()).stdout;
  assert.match(text, /\[warn\] monitor: not running \(pid \d+ has exited\).*systemctl start ux-tunnel-receive-monitor/);
  assert.doesNotMatch(text, /Health/);
  const silent = await setup(t, process.pid, new Date(Date.now() - 60_000));
  // The age is read when status runs: 60 s, or a little more on a busy machine.
  const age = Number(/monitor: not responding \(last update (\d+) s ago\)/.exec((await silent()).stdout)?.[1]);
  assert.ok(age >= 60 && age < 120, `the monitor's last update, ${age} s ago`);
});

test('status --watch --json prints one report per refresh until it is stopped', async (t) => {
  const status = await setup(t, process.pid);
  const run = status('--watch', '--json', '--interval', '0.3');
  const result = await Promise.race([run, new Promise<null>((r) => setTimeout(() => r(null), 2500))]);
  assert.equal(result, null, 'still running after 2.5 s');
  await exec(['pkill', '-TERM', '-f', 'status --watch --json --interval 0.3']);
  const done = await run;
  assert.equal(done.code, 0, done.stderr);
  const reports = done.stdout.trim().split('\n').map((l) => JSON.parse(l) as { tunnels: unknown[] });
  assert.ok(reports.length >= 3, `${reports.length} reports`);
  assert.ok(reports.every((r) => r.tunnels.length === 1));
});

test('status --watch | head -1: the broken pipe ends the command quietly (no stack trace) and at once', async (t) => {
  const dir = await scratchDir(t, 'uxt-status-');
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '10.10.10.10 10.10.10.11 - -\n');
  const err = join(dir, 'stderr');
  // pipefail: the status of the pipeline is ux-tunnel-receive's when it fails; the paths are this test's own.
  const result = await exec(['bash', '-c', `set -o pipefail; '${BIN}' --config '${conf}' status --watch --interval 0.2 2>'${err}' | head -1`], { env: { ...process.env, UX_TUNNEL_RUN_DIR: dir }, timeoutMs: 30_000 });
  assert.equal(result.code, 0, `${result.stdout}\n${await readFile(err, 'utf8')}`);
  assert.match(result.stdout, /^\[info\] /);
  assert.equal(await readFile(err, 'utf8'), '', 'nothing on stderr: no EPIPE, no stack trace');
});
