// tunnels.conf (receive side): one tunnel per line, "receiving-side-ip transmit-side-ip - tunnel-id [NAME=VALUE...]",
// with line numbers. The vendor's four fields stay as they are; options (tunnel-options.ts) follow them.
import { ConfigError, ConfigErrors, type ConfigWarning, type Location } from './errors.js';
import { splitConfigLines } from './lines.js';
import { isOptionField, parseTunnelOptions, RECEIVE_OPTIONS } from './tunnel-options.js';
import { checkAddress, describeTunnelId, parseIPv4, parseTunnelId, withCharacterHint } from './values.js';

export interface ReceiveTunnel {
  /** The line of tunnels.conf this tunnel comes from. */
  readonly line: number;
  readonly receivingIp: string;
  readonly transmitIp: string;
  /** Tunnel ID = peer tunnel ID = session ID = peer session ID. */
  readonly tunnelId: number;
  /** True when the fourth field gave the ID; false when it is the transmit IP read as a number ("-"). */
  readonly explicitId: boolean;
  /** cookie=: the tunnel's 64-bit L2TPv3 cookie (16 hex digits; a secret); null: none. */
  readonly cookie: string | null;
  /** wireguard=: encrypted, with the web server's WireGuard public key; null: in clear. */
  readonly wireguard: string | null;
  /** udp=: L2TPv3 over UDP on this port of receivingIp (one tunnel a port); null: over IP protocol 115. */
  readonly udpPort: number | null;
}

export interface TunnelsConf {
  readonly tunnels: ReceiveTunnel[];
  readonly warnings: ConfigWarning[];
}

export const FIELD_NAMES = ['receiving-side-ip', 'transmit-side-ip', 'third field', 'tunnel-id'] as const;

/** Session interfaces are ruei-mtun-00000 .. ruei-mtun-99999 (five digits, IFNAMSIZ allows no more). */
export const MAX_TUNNELS = 100000;

/** Parses tunnels.conf; throws ConfigErrors naming every bad line and field at once. */
export function parseTunnelsConf(file: string, text: string): TunnelsConf {
  const { lines, warnings } = splitConfigLines(file, text, true);
  const errors: ConfigError[] = [];
  const tunnels: ReceiveTunnel[] = [];
  for (const { line, fields: allFields } of lines) {
    const location = { file, line };
    const fail = (field: string | null, reason: string) => errors.push(new ConfigError(location, field, reason));
    const fields = allFields.filter((f) => !isOptionField(f));
    const optionFields = allFields.filter(isOptionField);
    if (optionFields.length > 0 && allFields.findIndex(isOptionField) < fields.length) {
      fail(null, `the four fields "receiving-side-ip transmit-side-ip - tunnel-id" come first, then NAME=VALUE options (e.g. "10.10.10.10 10.10.10.11 - - cookie=...")`);
      continue;
    }
    const options = parseTunnelOptions(optionFields, fail, RECEIVE_OPTIONS);
    if (fields.length !== 4) {
      fail(null, `expected 4 fields "receiving-side-ip transmit-side-ip - tunnel-id" (e.g. "10.10.10.10 10.10.10.11 - -"), found ${fields.length}`);
      continue;
    }
    const [receiving, transmit, third, id] = fields as [string, string, string, string];
    const receivingIp = checkAddress(receiving, FIELD_NAMES[0], fail);
    const transmitIp = checkAddress(transmit, FIELD_NAMES[1], fail);
    if (third !== '-') fail(FIELD_NAMES[2], `must be "-" (unused on the receive side), not "${third}"`);
    let tunnelId: number | null = null;
    if (id === '-') {
      if (transmitIp !== null) tunnelId = parseIPv4(transmitIp);
    } else {
      const parsed = parseTunnelId(id);
      if (typeof parsed === 'number') tunnelId = parsed;
      else fail(FIELD_NAMES[3], withCharacterHint(id, parsed));
    }
    if (receivingIp !== null && transmitIp !== null && receivingIp === transmitIp) {
      fail(FIELD_NAMES[1], `${transmitIp} is the same as the receiving-side-ip: a tunnel needs two different ends`);
      continue;
    }
    if (receivingIp === null || transmitIp === null || tunnelId === null || third !== '-') continue;
    tunnels.push({ line, receivingIp, transmitIp, tunnelId, explicitId: id !== '-', cookie: options.cookie, wireguard: options.wireguard, udpPort: options.udpPort });
  }
  errors.push(...duplicateErrors(file, tunnels));
  if (tunnels.length > MAX_TUNNELS) {
    errors.push(new ConfigError({ file, line: tunnels[MAX_TUNNELS]!.line }, null, `more than ${MAX_TUNNELS} tunnels (ruei-mtun-00000..99999)`));
  }
  if (errors.length > 0) throw new ConfigErrors(errors.sort((a, b) => a.location.line - b.location.line));
  return { tunnels, warnings };
}

function duplicateErrors(file: string, tunnels: readonly ReceiveTunnel[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const byId = new Map<number, ReceiveTunnel>();
  const byTransmit = new Map<string, ReceiveTunnel>();
  const byUdpEnd = new Map<string, ReceiveTunnel>();
  for (const tunnel of tunnels) {
    const location: Location = { file, line: tunnel.line };
    const sameId = byId.get(tunnel.tunnelId);
    if (sameId) {
      const how = tunnel.explicitId ? '' : ' (the transmit-side-ip read as a number; give a unique tunnel-id in field 4)';
      errors.push(new ConfigError(location, FIELD_NAMES[3], `duplicate tunnel ID ${describeTunnelId(tunnel.tunnelId)}${how}, already used on line ${sameId.line}`));
    } else byId.set(tunnel.tunnelId, tunnel);
    const sameTransmit = byTransmit.get(tunnel.transmitIp);
    if (sameTransmit) {
      errors.push(new ConfigError(location, FIELD_NAMES[1], `duplicate transmit address ${tunnel.transmitIp}, already on line ${sameTransmit.line}`));
    } else byTransmit.set(tunnel.transmitIp, tunnel);
    if (tunnel.udpPort === null) continue;
    // The kernel gives every UDP tunnel a socket of its own, connected to its sender: two cannot share an address and port.
    const end = `${tunnel.receivingIp}:${tunnel.udpPort}`;
    const sameEnd = byUdpEnd.get(end);
    if (sameEnd) {
      errors.push(new ConfigError(location, 'udp', `UDP port ${tunnel.udpPort} of ${tunnel.receivingIp} is already line ${sameEnd.line}'s: each UDP tunnel needs a port of its own on the collector (config add --udp auto picks a free one)`));
    } else byUdpEnd.set(end, tunnel);
  }
  return errors;
}

/** Errors for tunnels whose receiving-side-ip is not an address of this host (network namespace). */
export function checkReceivingIpsLocal(file: string, tunnels: readonly ReceiveTunnel[], localAddresses: ReadonlySet<string>): ConfigError[] {
  return tunnels
    .filter((t) => !localAddresses.has(t.receivingIp))
    .map((t) => new ConfigError({ file, line: t.line }, FIELD_NAMES[0], `${t.receivingIp} is not an address of this host (see ip address show)`));
}

/** The line as `config add` writes it (with the cookie: the file is root-only then). */
export function formatTunnelLine(receivingIp: string, transmitIp: string, tunnelId: string | undefined, cookie: string | null = null, udpPort: number | null = null): string {
  return `${receivingIp} ${transmitIp} - ${tunnelId ?? '-'}${cookie ? ` cookie=${cookie}` : ''}${udpPort ? ` udp=${udpPort}` : ''}`;
}

/** The lowest port from DEFAULT_UDP_PORT up that no tunnel of `receivingIp` uses yet (config add --udp auto). */
export function freeUdpPort(tunnels: readonly ReceiveTunnel[], receivingIp: string, from: number): number {
  const used = new Set(tunnels.filter((t) => t.receivingIp === receivingIp).map((t) => t.udpPort));
  let port = from;
  while (used.has(port)) port++;
  return port;
}
