// What `install` puts on a host for one side: the config directory with its example, and the systemd units.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { rueiHome, type Side } from '../config/paths.js';

/** The package root (holding bin/, systemd/, conf/): three levels above dist/src/install/. */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface InstalledFile {
  readonly path: string;
  readonly content: string;
  /** A file the user is expected to edit: uninstall keeps it once it differs from what install wrote. */
  readonly userConfig: boolean;
}

export interface Layout {
  readonly files: InstalledFile[];
  /** Directories install creates when missing, outermost first; uninstall removes those left empty. */
  readonly directories: string[];
  readonly units: string[];
}

export const UNIT_DIR = '/etc/systemd/system';

/** systemd is this host's service manager (sd_booted(3): the directory exists only then). */
export const systemdRuns = (): boolean => existsSync('/run/systemd/system');

/** Example configs shipped in conf/: receive installs tunnels.conf itself (the guide edits it in place). */
const CONFIG_FILES: Record<Side, Array<{ from: string; to: string }>> = {
  receive: [{ from: 'tunnels.conf', to: 'tunnels.conf' }],
  transmit: [{ from: 'tunnel.conf.example', to: 'tunnel.conf.example' }],
};

export function layout(side: Side, binDir: string, env: NodeJS.ProcessEnv = process.env, unitDir = UNIT_DIR): Layout {
  const home = rueiHome(env);
  const confDir = join(home, 'tunnel', side, 'conf');
  const files: InstalledFile[] = CONFIG_FILES[side].map(({ from, to }) => ({
    path: join(confDir, to),
    content: readFileSync(join(PACKAGE_ROOT, 'conf', from), 'utf8'),
    userConfig: true,
  }));
  const unitNames = readdirSync(join(PACKAGE_ROOT, 'systemd')).filter((f) => f.startsWith(`ux-tunnel-${side}`) && /\.(service|timer)$/.test(f));
  for (const name of unitNames) {
    files.push({ path: join(unitDir, name), content: withBinDir(readFileSync(join(PACKAGE_ROOT, 'systemd', name), 'utf8'), binDir), userConfig: false });
  }
  return { files, directories: [home, join(home, 'tunnel'), join(home, 'tunnel', side), confDir], units: unitNames };
}

/**
 * Units ship with /usr/bin/ux-tunnel-*; the installed ones name the executables where they really are. A checkout
 * under a home directory (/root/ux-tunnel) would be hidden by ProtectHome=yes: there the units get read-only instead.
 */
export function withBinDir(unit: string, binDir: string, root = PACKAGE_ROOT): string {
  const named = unit.replace(/\/usr\/bin\/(ux-tunnel-[a-z-]+)/g, (_, name: string) => join(binDir, name));
  const inHome = [resolve(binDir), root].some((path) => /^\/(home|root|run\/user)(\/|$)/.test(path));
  return inHome ? named.replace(/^ProtectHome=yes$/m, 'ProtectHome=read-only') : named;
}

/** The directory of the running executable (npm install -g links it into /usr/bin or /usr/local/bin). */
export function runningBinDir(): string {
  const launcher = process.argv[1] ?? '';
  return existsSync(launcher) && basename(launcher).startsWith('ux-tunnel-') ? resolve(launcher, '..') : join(PACKAGE_ROOT, 'bin');
}
