// A private temporary directory for one test (captures, configs, web roots), removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './netns.js';

export async function scratchDir(t: Cleanup, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(async () => {
    // node:test runs after-hooks in the order they were registered, so this one can run while the test's processes
    // (a keepalive rewriting its status file) are still alive: retry, and never let a directory left in /tmp fail the
    // test, or, worse, skip the hooks after it that end those processes (the test file then never exits).
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }).catch((error: Error) => console.log(`[info] ${dir} not removed: ${error.message}`));
  });
  return dir;
}
