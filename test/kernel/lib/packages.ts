// The built packages (npm test builds them first, as npm run package does) and what the package tests do with them:
// install into the lab's root (a throwaway tmpfs overlay over this machine's root), run package-manager commands
// inside a test namespace (so the scripts' start/reload/stop act on that namespace), and remove them again.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec, execOrThrow, type ExecResult } from '../../../src/kernel/exec.js';
import type { Netns } from './netns.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export function packageFile(format: 'deb' | 'rpm', side: 'transmit' | 'receive'): string {
  const name = format === 'deb' ? `ux-tunnel-${side}_${VERSION}-1_amd64.deb` : `ux-tunnel-${side}-${VERSION}-1.x86_64.rpm`;
  const file = join(ROOT, 'dist', 'packages', name);
  if (!existsSync(file)) throw new Error(`${file} is missing: npm test builds the packages first (or run npm run package)`);
  return file;
}

/** A package-manager command in `ns` (or the lab's own namespace), with the test's run directory; never throws. */
export function packageCommand(ns: Netns | null, env: NodeJS.ProcessEnv, ...argv: string[]): Promise<ExecResult> {
  return exec(ns ? ns.argv(...argv) : argv, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env }, timeoutMs: 600_000 });
}

export function mustPass(result: ExecResult, what: string): ExecResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * The same .deb with another version in its control data, for an upgrade: the members are rewritten with ar and tar
 * only (the payload is copied as it is, never recompressed: xz is slow under emulation).
 */
export async function debWithVersion(deb: string, version: string, dir: string): Promise<string> {
  const work = join(dir, `deb-${version}`);
  await mkdir(join(work, 'control'), { recursive: true });
  const inWork = (...argv: string[]) => execOrThrow(['sh', '-c', 'cd "$0" && exec "$@"', work, ...argv]);
  await inWork('ar', 'x', deb);
  const members = (await inWork('ar', 't', deb)).stdout.trim().split('\n');
  const controlMember = members.find((m) => m.startsWith('control.tar'))!;
  await inWork('tar', '-xaf', controlMember, '-C', 'control');
  const control = join(work, 'control', 'control');
  await writeFile(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${version}`));
  await inWork('rm', controlMember);
  await inWork('tar', '--owner=0', '--group=0', '-czf', 'control.tar.gz', '-C', 'control', '.');
  const out = join(dir, `upgrade-${version}.deb`);
  await inWork('ar', 'rc', out, 'debian-binary', 'control.tar.gz', members.find((m) => m.startsWith('data.tar'))!);
  await execOrThrow(['rm', '-rf', work]);
  return out;
}
