// `install` / `uninstall` (both sides): config directory and example, systemd units; uninstall removes what install made.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { KEY_FILE_NAME } from '../transport/wireguard.js';
import type { ParsedArgs } from './args.js';
import { layout, PACKAGE_ROOT, runningBinDir, systemdRuns, type Layout } from '../install/layout.js';
import { exec } from '../kernel/exec.js';
import { requireNetAdmin } from '../kernel/prerequisites.js';
import type { Side } from '../config/paths.js';
import { PACKAGED_PREFIX } from './version.js';

/** Run from the .deb/.rpm: the package manager owns the units and directories, install/uninstall must not. */
function packagedNotice(side: Side, verb: 'install' | 'uninstall'): string | null {
  if (!PACKAGE_ROOT.startsWith(PACKAGED_PREFIX)) return null;
  return verb === 'install'
    ? `[info] nothing to do: the ux-tunnel-${side} package installed the units and /opt/ruei/tunnel/${side}/conf (-> /etc/ux-tunnel/${side})`
    : `[info] nothing to do here: remove the package instead (apt-get remove ux-tunnel-${side}, or rpm -e ux-tunnel-${side}); apt-get purge also removes the configuration`;
}

export async function runInstall(args: ParsedArgs, side: Side): Promise<number> {
  const packaged = packagedNotice(side, 'install');
  if (packaged) return (process.stdout.write(`${packaged}\n`), 0);
  const dryRun = args.flags.has('dry-run');
  if (!dryRun) requireNetAdmin('install', 'it writes under /opt, /etc and the systemd unit directory');
  const plan = layout(side, runningBinDir());
  const say = (line: string) => process.stdout.write(`${line}\n`);
  for (const dir of plan.directories) {
    if (!existsSync(dir)) {
      say(`[#] mkdir ${dir}`);
      if (!dryRun) mkdirSync(dir, { mode: 0o755 });
    }
  }
  for (const file of plan.files) {
    if (file.userConfig && existsSync(file.path)) {
      say(`[info] keeping ${file.path} (it exists already)`);
      continue;
    }
    say(`[#] write ${file.path}`);
    if (!dryRun) writeAtomically(file.path, file.content);
  }
  if (systemdRuns()) await systemctl(['daemon-reload'], dryRun, say);
  for (const line of nextSteps(side, plan)) say(line);
  return 0;
}

export async function runUninstall(args: ParsedArgs, side: Side): Promise<number> {
  const packaged = packagedNotice(side, 'uninstall');
  if (packaged) return (process.stdout.write(`${packaged}\n`), 0);
  const dryRun = args.flags.has('dry-run');
  const purge = args.flags.has('purge');
  if (!dryRun) requireNetAdmin('uninstall', 'it removes files under /opt, /etc and the systemd unit directory');
  const plan = layout(side, runningBinDir());
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (systemdRuns()) {
    for (const unit of plan.units) await systemctl(['disable', '--now', unit], dryRun, say);
  }
  for (const file of plan.files) {
    if (!existsSync(file.path)) continue;
    if (file.userConfig && !purge && readFileSync(file.path, 'utf8') !== file.content) {
      say(`[info] keeping ${file.path}: it was edited (uninstall --purge removes it too)`);
      continue;
    }
    say(`[#] rm ${file.path}`);
    if (!dryRun) rmSync(file.path);
  }
  if (side === 'transmit') removeIfPurged(plan, 'tunnel.conf', purge, dryRun, say);
  removeIfPurged(plan, KEY_FILE_NAME, purge, dryRun, say); // the WireGuard private key of `keys`
  for (const dir of [...plan.directories].reverse()) {
    if (existsSync(dir) && readdirSync(dir).length === 0) {
      say(`[#] rmdir ${dir}`);
      if (!dryRun) rmdirSync(dir);
    }
  }
  if (systemdRuns()) await systemctl(['daemon-reload'], dryRun, say);
  say(`[info] ux-tunnel-${side} is uninstalled; remove the executables with: npm uninstall -g ux-tunnel`);
  return 0;
}

/** tunnel.conf (the user's own copy of the example) and the private key: only --purge removes them. */
function removeIfPurged(plan: Layout, name: string, purge: boolean, dryRun: boolean, say: (line: string) => void): void {
  const example = plan.files.find((f) => f.userConfig);
  if (!example) return;
  const path = example.path.replace(/[^/]+$/, name);
  if (!existsSync(path)) return;
  if (!purge) {
    say(`[info] keeping ${path}: your configuration (uninstall --purge removes it too)`);
    return;
  }
  say(`[#] rm ${path}`);
  if (!dryRun) rmSync(path);
}

function writeAtomically(path: string, content: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, content, { mode: 0o644 });
  renameSync(temp, path);
}

async function systemctl(argv: string[], dryRun: boolean, say: (line: string) => void): Promise<void> {
  say(`[#] systemctl ${argv.join(' ')}`);
  if (dryRun) return;
  const result = await exec(['systemctl', ...argv]);
  if (result.code !== 0) say(`[warn] systemctl ${argv.join(' ')} failed: ${result.stderr.trim()}`);
}

function nextSteps(side: Side, plan: Layout): string[] {
  const conf = plan.files.find((f) => f.userConfig)!.path;
  if (side === 'receive') {
    return [
      '[info] next steps:',
      `[info]   1. allow IP protocol 115 in:      ux-tunnel-receive firewall open`,
      `[info]   2. add one line per web server:   ${conf}  (or: ux-tunnel-receive config add RECEIVING-IP TRANSMIT-IP)`,
      `[info]   3. start, and on boot:            systemctl enable --now ux-tunnel-receive`,
      `[info]   4. check incoming tunnels:        ux-tunnel-receive diag monitor detect`,
    ];
  }
  const dir = conf.replace(/\/[^/]+$/, '');
  return [
    '[info] next steps:',
    `[info]   1. let IP protocol 115 out:        ux-tunnel-transmit firewall open`,
    `[info]   2. configure the tunnel:          cd ${dir} && cp tunnel.conf.example tunnel.conf, then edit tunnel.conf`,
    `[info]   3. start, and on boot:            systemctl enable --now ux-tunnel-transmit`,
    `[info]   4. check the tunnel:              ux-tunnel-transmit diag tunnel check`,
  ];
}
