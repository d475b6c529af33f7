// The lab's kernel cache: built once, reused, and rebuilt with a clear message when a file in it is damaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, truncate, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const SCRIPT = resolve(import.meta.dirname, '..', '..', '..', 'lab', 'kernel-cache.sh');

async function buildCache(root: string): Promise<{ entry: string; stderr: string }> {
  const result = await exec(['bash', SCRIPT], { env: { ...process.env, UX_TUNNEL_LAB_CACHE: root } });
  assert.equal(result.code, 0, `kernel-cache.sh failed: ${result.stderr}`);
  return { entry: result.stdout.trim(), stderr: result.stderr };
}

test('a damaged or interrupted kernel cache is detected, reported and rebuilt; a complete one is reused', async (t) => {
  const root = await scratchDir(t, 'uxt-labcache-');

  const first = await buildCache(root);
  assert.match(first.stderr, /downloading linux-image-/);
  const stamp = await readFile(join(first.entry, '.complete'), 'utf8');
  assert.match(stamp, /vmlinuz/);
  const size = (await stat(join(first.entry, 'vmlinuz'))).size;

  const again = await buildCache(root);
  assert.equal(again.entry, first.entry);
  assert.doesNotMatch(again.stderr, /downloading/, 'a complete cache is reused without downloading');

  // A truncated kernel image, as an interrupted copy leaves it.
  await truncate(join(first.entry, 'vmlinuz'), Math.floor(size / 2));
  // And a leftover partial download next to it.
  await mkdir(join(root, '.download.abc123'));
  await writeFile(join(root, '.download.abc123', 'partial.deb'), 'not a deb');
  const repaired = await buildCache(root);
  assert.match(repaired.stderr, /incomplete or damaged .* rebuilding it/);
  assert.equal((await stat(join(repaired.entry, 'vmlinuz'))).size, size, 'the kernel image is whole again');
  const leftovers = await exec(['bash', '-c', `ls -A ${root} | grep -c '^\\.download' || true`]);
  assert.equal(leftovers.stdout.trim(), '0', 'the partial download was removed');
});
