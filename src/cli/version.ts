// --version: the project's version (package.json of the installed tree) and the JavaScript runtime running it, so a
// support request says whether the package's own runtime or a host's Node.js ran the command.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../install/layout.js';

/** Where the .deb and .rpm put each side's runtime (src/package): a command run by it is the packaged one. */
export const PACKAGED_PREFIX = '/usr/lib/ux-tunnel/';

export function projectVersion(root = PACKAGE_ROOT): string {
  try {
    const parsed = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function versionText(program: string, execPath = process.execPath, root = PACKAGE_ROOT): string {
  const runtime = execPath.startsWith(PACKAGED_PREFIX) ? 'the package\'s own runtime' : `the host's runtime ${execPath}`;
  return `${program} ${projectVersion(root)}\nNode.js ${process.version} (${runtime})\n`;
}
