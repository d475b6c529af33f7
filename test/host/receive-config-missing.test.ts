// A --config the user typed must exist: a typo must not read as an empty, healthy collector (status, config list,
// diag tunnels check). Read-only commands, on this host (reading needs no L2TP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'ux-tunnel-receive');

test('an explicit --config that does not exist is an error (exit 3) for status, config list and diag tunnels check', async (t) => {
  const dir = await scratchDir(t, 'uxt-missing-');
  const missing = join(dir, 'typo', 'tunnels.conf');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: dir };
  for (const command of [['status'], ['status', '--json'], ['config', 'list'], ['diag', 'tunnels', 'check']]) {
    const result = await exec([BIN, '--config', missing, ...command], { env, timeoutMs: 30_000 });
    assert.equal(result.code, 3, `${command.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, new RegExp(`${missing.replaceAll('/', '\\/')} does not exist: create it .* or pass --config FILE`), command.join(' '));
    assert.doesNotMatch(result.stdout, /0 tunnel\(s\) configured/, `${command.join(' ')} printed no all-clear`);
  }
});

test('a directory as --config, and a missing tunnel.conf, get errors that say what to do (exit 3)', async (t) => {
  const dir = await scratchDir(t, 'uxt-missing-');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: dir };
  const asDir = await exec([BIN, '--config', dir, 'config', 'list'], { env, timeoutMs: 30_000 });
  assert.equal(asDir.code, 3, asDir.stderr);
  assert.match(asDir.stderr, new RegExp(`${dir.replaceAll('/', '\\/')} is a directory: --config takes the file itself, e\\.g\\. --config ${dir.replaceAll('/', '\\/')}\\/tunnels\\.conf`));
  assert.doesNotMatch(asDir.stderr, /EISDIR/);
  // No tunnel.conf.example next to it: the message says what to write instead of pointing at a file that is not there.
  const transmit = resolve(BIN, '..', 'ux-tunnel-transmit');
  const missing = await exec([transmit, '--config', join(dir, 'tunnel.conf'), 'start', '--dry-run'], { env, timeoutMs: 30_000 });
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /tunnel\.conf does not exist: create it with one line such as "10\.10\.10\.10 10\.10\.10\.11 ens3 i80"/);
  assert.doesNotMatch(missing.stderr, /copy tunnel\.conf\.example/);
});

test('a config file others could have written is refused (exit 3, the chmod that fixes it); fixed, it is read', async (t) => {
  const dir = await scratchDir(t, 'uxt-mode-');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: dir };
  const file = join(dir, 'tunnels.conf');
  await writeFile(file, '10.0.0.3 10.0.0.2 - -\n');
  await chmod(file, 0o666);
  const transmit = resolve(BIN, '..', 'ux-tunnel-transmit');
  const transmitConf = join(dir, 'tunnel.conf');
  await writeFile(transmitConf, '10.0.0.3 10.0.0.2 eth0 i80\n');
  await chmod(transmitConf, 0o664);
  for (const [argv, path] of [[[BIN, '--config', file, 'config', 'list'], file], [[transmit, '--config', transmitConf, 'start', '--dry-run'], transmitConf]] as const) {
    const refused = await exec([...argv], { env, timeoutMs: 30_000 });
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`refusing ${path}: ${path} is writable by others than its owner \\(mode 06[6]?[64]\\): .*run chmod go-w ${path}; nothing was changed`));
    assert.equal(refused.stdout, '', 'nothing printed as if it had been read');
  }
  await chmod(file, 0o644);
  const listed = await exec([BIN, '--config', file, 'config', 'list'], { env, timeoutMs: 30_000 });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /10\.0\.0\.2/);
});
