// Which interface `diag traffic servers` captures on without --interface: the configured mirror NIC, or, before there
// is a tunnel.conf (the vendor guide runs this command first, to find the port to mirror), the default route's.
import { existsSync } from 'node:fs';
import type { ParsedArgs } from '../args.js';
import { UserError } from '../main.js';
import { systemRunner } from '../../kernel/runner.js';
import { loadConfig, PROGRAM, transmitConfigPath } from './common.js';

export async function trafficInterface(args: ParsedArgs): Promise<string> {
  const file = transmitConfigPath(args);
  if (existsSync(file)) return loadConfig(file).mirrorIf;
  const route = await defaultRouteInterface();
  if (!route) {
    throw new UserError(`${file} does not exist and this host has no default route: name the interface the web traffic crosses with --interface IF (ip -br link lists them)`, 3);
  }
  process.stderr.write(`${PROGRAM}: no ${file} yet: capturing on ${route}, the interface of the default route (--interface IF chooses another)\n`);
  return route;
}

/** The device of the IPv4 default route (the first, when there are several), or null. */
export async function defaultRouteInterface(): Promise<string | null> {
  const result = await systemRunner({ echo: null }).probe(['ip', '-j', '-4', 'route', 'show', 'default']);
  if (result.code !== 0) return null;
  try {
    const routes = JSON.parse(result.stdout) as Array<{ dev?: string }>;
    return routes.find((r) => typeof r.dev === 'string')?.dev ?? null;
  } catch {
    return null;
  }
}
