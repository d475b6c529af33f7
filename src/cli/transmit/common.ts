// What the transmit commands share: the config in force, the runner, root/modules, and validation before any change.
import { stringFlag, type ParsedArgs } from '../args.js';
import { readConfigFile } from '../config-file.js';
import { ConfigErrors } from '../../config/errors.js';
import { configPath } from '../../config/paths.js';
import { checkTunnelConfOnHost, parseTunnelConf, type TunnelConf } from '../../config/tunnel.js';
import { readLocalIPv4Addresses } from '../../kernel/links.js';
import { ensureModules, requireNetAdmin } from '../../kernel/prerequisites.js';
import type { KernelRunner } from '../../kernel/runner.js';
import { readTransmitState } from '../../kernel/transmit-state.js';
import { TRANSMIT_MODULES, type TransmitKernelState } from '../../model/transmit.js';

export const PROGRAM = 'ux-tunnel-transmit';

export function transmitConfigPath(args: ParsedArgs): string {
  return configPath('transmit', stringFlag(args, 'config'));
}

export function isDryRun(args: ParsedArgs): boolean {
  return args.flags.get('dry-run') === true;
}

/** Reads and parses tunnel.conf; a missing file is an error that says how to create it. */
export function loadConfig(file: string): TunnelConf {
  const text = readConfigFile(file, { name: 'tunnel.conf', create: 'one line such as "10.10.10.10 10.10.10.11 ens3 i80" (receiving-side-ip transmit-side-ip mirror-if-name mirror-port-list)' })!;
  return parseTunnelConf(file, text);
}

export { makeRunner } from '../main.js';

/** Root and modules first (a dry run needs neither and loads nothing), then the kernel state. */
export async function prepareKernel(command: string, runner: KernelRunner, encrypted = false): Promise<TransmitKernelState> {
  if (!runner.dryRun) {
    requireNetAdmin(`${PROGRAM} ${command}`);
    await ensureModules(TRANSMIT_MODULES);
  }
  return readTransmitState(runner, encrypted);
}

/** The config checked against this host: the NIC exists, the transmit IP is local. Throws before any change. */
export async function checkOnHost(conf: TunnelConf, state: TransmitKernelState, runner: KernelRunner): Promise<void> {
  const local = await readLocalIPv4Addresses(runner);
  const errors = checkTunnelConfOnHost(conf, new Set(state.links.map((l) => l.name)), local);
  if (errors.length > 0) throw new ConfigErrors(errors);
}
