// A config file decides what a root tool does to the kernel's network, so whoever can write it (or replace it, through
// a directory above it) is as good as root. Like sshd's StrictModes: the file and every directory above it must be
// owned by root (or by the user running the command, for a user's own test copy) and writable by no one else; a
// world-writable directory is allowed only with the sticky bit (/tmp), where others cannot rename or remove our entry.
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { hasOption } from './lines.js';

export interface PathStat {
  readonly uid: number;
  readonly mode: number;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why `file` (a real path) may not be trusted, with the command that fixes it; null when it is safe. */
export function unsafeConfigReason(file: string, stat: (path: string) => PathStat, euid: number): string | null {
  const owners = euid === 0 ? 'root' : `root or uid ${euid}`;
  for (let path = file, isFile = true; ; isFile = false) {
    const { uid, mode } = stat(path);
    const what = isFile ? path : `${path} (a directory above ${file})`;
    if (uid !== 0 && uid !== euid) {
      return `${what} is owned by uid ${uid}, not ${owners}: whoever owns it can change what this tool configures as root; run chown root ${path}`;
    }
    const sticky = !isFile && (mode & 0o1000) !== 0 && (mode & 0o002) !== 0;
    if ((mode & 0o022) !== 0 && !sticky) {
      return `${what} is writable by others than its owner (mode ${octal(mode)}): anyone who can write it changes what this tool configures as root; run chmod go-w ${path}`;
    }
    const parent = dirname(path);
    if (parent === path) return null;
    path = parent;
  }
}

/**
 * A config file that holds a secret (an L2TPv3 cookie) must be readable by its owner alone, as ssh refuses a private
 * key others can read: null when it holds none or is private, else why and the command that fixes it.
 */
export function secretReadableReason(file: string, text: string, mode: number): string | null {
  if (!hasOption(text, 'cookie') || (mode & 0o077) === 0) return null;
  return `${file} holds a tunnel cookie (a secret) and is readable by others than its owner (mode ${octal(mode)}): run chmod 600 ${file}`;
}

/** unsafeConfigReason for a file on this host, following symbolic links to the file really read. */
export function checkConfigFile(file: string, euid = process.geteuid?.() ?? 0): string | null {
  return unsafeConfigReason(realpathSync(file), (path) => statSync(path), euid);
}
