// `diag traffic servers` (both sides): capture SYN-ACKs on an interface and list the servers that answered.
import type { ParsedArgs } from './args.js';
import { UserError } from './main.js';

/** Flags this command reads; each side's main.ts lists them among its value flags. */
export const TRAFFIC_VALUE_FLAGS = ['interface', 'time', 'max-packets', 'read'] as const;

/** `defaultInterface` is the mirror NIC (transmit) or ruei-mtun (receive); --interface overrides it. */
export async function runTrafficServers(args: ParsedArgs, defaultInterface: () => Promise<string> | string): Promise<number> {
  void args;
  void defaultInterface;
  throw new UserError('diag traffic servers is not implemented yet');
}
