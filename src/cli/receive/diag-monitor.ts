// `ux-tunnel-receive diag monitor detect`: find incoming L2TPv3 tunnels (and NAT) from the packets themselves.
import type { ParsedArgs } from '../args.js';
import { UserError } from '../main.js';

export const MONITOR_VALUE_FLAGS = ['time', 'read', 'interface'] as const;

/** `configFile` is the tunnels.conf in force, to flag detected-but-unconfigured and configured-but-unseen tunnels. */
export async function runMonitorDetect(args: ParsedArgs, configFile: string): Promise<number> {
  void args;
  void configFile;
  throw new UserError('diag monitor detect is not implemented yet');
}
