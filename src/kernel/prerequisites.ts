// Checks that must pass before anything is changed: root/CAP_NET_ADMIN and the kernel modules each side needs.
import { existsSync, readFileSync } from 'node:fs';
import { exec } from './exec.js';

export class PrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

const CAP_NET_ADMIN = 12;

/** True when this process may change network configuration (root, or CAP_NET_ADMIN in its effective set). */
export function hasNetAdmin(status: string = safeRead('/proc/self/status')): boolean {
  const match = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
  if (!match?.[1]) return process.getuid?.() === 0;
  return (BigInt(`0x${match[1]}`) >> BigInt(CAP_NET_ADMIN)) & 1n ? true : false;
}

/** `why`: what the privilege is for, in the message (network commands by default). */
export function requireNetAdmin(command: string, why = 'it needs CAP_NET_ADMIN to change network interfaces'): void {
  if (!hasNetAdmin()) {
    throw new PrerequisiteError(`${command} must run as root (${why}): run it with sudo`);
  }
}

function moduleLoaded(name: string): boolean {
  // /sys/module/NAME exists for loaded modules and for built-in ones that have parameters; modules.builtin covers the rest.
  if (existsSync(`/sys/module/${name}`)) return true;
  const release = safeRead('/proc/sys/kernel/osrelease').trim();
  const builtin = safeRead(`/lib/modules/${release}/modules.builtin`);
  return new RegExp(`/${name.replace(/_/g, '[_-]')}\\.ko`).test(builtin);
}

/**
 * Loads each module that is not loaded yet. All are tried before failing, and the error names every missing one,
 * so one run tells the user everything to install.
 */
export async function ensureModules(modules: readonly string[], dryRun = false): Promise<void> {
  const missing: string[] = [];
  for (const name of modules) {
    if (moduleLoaded(name)) continue;
    if (dryRun) continue;
    const result = await exec(['modprobe', name]);
    if (result.code !== 0 && !moduleLoaded(name)) missing.push(name);
  }
  if (missing.length > 0) {
    const list = missing.join(', ');
    throw new PrerequisiteError(
      `kernel module${missing.length > 1 ? 's' : ''} ${list} ${missing.length > 1 ? 'are' : 'is'} missing: install your distribution's kernel modules package (e.g. linux-modules-extra-$(uname -r) or kernel-modules-extra) or run modprobe ${missing[0]}; nothing was changed`,
    );
  }
}

/** A small kernel file's text (procfs, sysfs), or "" when it cannot be read. */
export function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
