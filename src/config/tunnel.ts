// tunnel.conf (transmit side): exactly one line "receiving-ip transmit-ip mirror-if port-list [tunnel-id] [NAME=VALUE...]",
// with line numbers. The options (tunnel-options.ts) extend the vendor's format without changing its four fields.
import { ConfigError, ConfigErrors, type Location } from './errors.js';
import { nonAsciiCharacter, splitConfigLines } from './lines.js';
import { checkAddress, parseIPv4, parseTunnelId, withCharacterHint } from './values.js';
import { isOptionField, parseTunnelOptions, type MirrorBudget } from './tunnel-options.js';

/** One mirrored service: `in` = clients connect to local port N (iN), `out` = this host connects to remote port N (oN). */
export interface PortSpec {
  readonly direction: 'in' | 'out';
  readonly port: number;
}

export interface TunnelConf {
  readonly file: string;
  /** The line of tunnel.conf the tunnel comes from. */
  readonly line: number;
  readonly receivingIp: string;
  readonly transmitIp: string;
  readonly mirrorIf: string;
  /** 'all' mirrors every frame in both directions. */
  readonly ports: 'all' | readonly PortSpec[];
  /** Tunnel ID = peer tunnel ID = session ID = peer session ID. */
  readonly tunnelId: number;
  /** True when the fifth field gave the ID; false when it is the transmit IP read as a number. */
  readonly explicitId: boolean;
  /** budget-mbit= / budget-pps=: the mirror's cap; null when there is none. */
  readonly budget: MirrorBudget | null;
  /** cookie=: the tunnel's 64-bit L2TPv3 cookie (16 hex digits; a secret); null: none. */
  readonly cookie: string | null;
  /** wireguard=: encrypted, with the collector's WireGuard public key; null: in clear. */
  readonly wireguard: string | null;
  /** udp=: L2TPv3 over UDP from and to this port (the collector's line names the same); null: over IP protocol 115. */
  readonly udpPort: number | null;
}

export const FIELD_NAMES = ['receiving-side-ip', 'transmit-side-ip', 'mirror-if-name', 'mirror-port-list', 'tunnel-id'] as const;

const EXAMPLE = '"10.10.10.10 10.10.10.11 ens3 i80" (receiving-side-ip transmit-side-ip mirror-if-name mirror-port-list [tunnel-id] [budget-mbit=N] [budget-pps=N] [cookie=HEX16] [wireguard=PUBLIC-KEY] [udp=PORT])';

/** Parses tunnel.conf; throws ConfigErrors naming every problem (file:line: field: reason) at once. */
export function parseTunnelConf(file: string, text: string): TunnelConf {
  // No look-alike repair here: an en dash in "i80–i81" must be an error, not silently read as something else.
  const { lines } = splitConfigLines(file, text, false);
  const errors: ConfigError[] = [];
  if (lines.length === 0) throw new ConfigErrors([new ConfigError({ file, line: 1 }, null, `no tunnel configured: add one line such as ${EXAMPLE}`)]);
  for (const extra of lines.slice(1)) {
    errors.push(new ConfigError({ file, line: extra.line }, null, `the transmit side handles exactly one tunnel, but line ${lines[0]!.line} already configures one: remove or comment out this line`));
  }
  const { line, fields: allFields } = lines[0]!;
  const location: Location = { file, line };
  const fail = (field: string | null, reason: string) => errors.push(new ConfigError(location, field, reason));
  const firstOption = allFields.findIndex(isOptionField);
  const fields = firstOption < 0 ? allFields : allFields.slice(0, firstOption);
  const optionFields = firstOption < 0 ? [] : allFields.slice(firstOption);
  for (const misplaced of optionFields.filter((f) => !isOptionField(f))) fail(null, `"${misplaced}" follows the options: the positional fields come first, then NAME=VALUE options`);
  const options = parseTunnelOptions(optionFields.filter(isOptionField), fail);

  const spaced = spaceInPortList(fields);
  if (spaced) {
    fail(FIELD_NAMES[3], spaced);
    throw new ConfigErrors(errors);
  }
  if (fields.length < 4 || fields.length > 5) {
    const odd = nonAsciiCharacter(fields.join(' '));
    const hint = odd ? `; the line contains the look-alike character ${odd} (copied from a document?): retype it` : '';
    fail(null, `expected 4 or 5 fields, found ${fields.length}: write ${EXAMPLE}${hint}`);
    throw new ConfigErrors(errors);
  }
  const [receiving, transmit, nic, list, id] = fields as [string, string, string, string, string | undefined];
  const receivingIp = checkAddress(receiving, FIELD_NAMES[0], fail);
  const transmitIp = checkAddress(transmit, FIELD_NAMES[1], fail);
  if (receivingIp && transmitIp && receivingIp === transmitIp) fail(FIELD_NAMES[1], `${transmitIp} is also the receiving-side-ip: the tunnel needs two different hosts`);
  const ifProblem = interfaceNameProblem(nic);
  if (ifProblem) fail(FIELD_NAMES[2], ifProblem);
  const ports = parsePortList(list, (reason) => fail(FIELD_NAMES[3], reason));
  let tunnelId: number | null = transmitIp ? parseIPv4(transmitIp) : null;
  // "-" is the default (the transmit IP as a number), as in tunnels.conf, whose lines users copy.
  const explicitId = id !== undefined && id !== '-';
  if (id !== undefined && id !== '-') {
    const parsed = parseTunnelId(id);
    if (typeof parsed === 'string') fail(FIELD_NAMES[4], withCharacterHint(id, parsed));
    else tunnelId = parsed;
  }
  if (errors.length > 0 || !receivingIp || !transmitIp || ports === null || tunnelId === null) throw new ConfigErrors(errors);
  return { file, line, receivingIp, transmitIp, mirrorIf: nic, ports, tunnelId, explicitId, budget: options.budget, cookie: options.cookie, wireguard: options.wireguard, udpPort: options.udpPort };
}

/** "i80, i443" splits into fields "i80," and "i443": say it is a space in the list, not a fifth field. */
function spaceInPortList(fields: readonly string[]): string | null {
  if (fields.length < 5) return null;
  const tail = fields.slice(3);
  const listLike = (f: string) => /^,|,$/.test(f) || /^(all|[io][0-9]+)(,|$)/i.test(f);
  if (/,$/.test(tail[0]!) || tail.slice(1).some((f) => /^,/.test(f) || listLike(f))) {
    return `"${tail.join(' ')}" contains a space: the port list is comma separated without spaces (e.g. i80,i443)`;
  }
  return null;
}

/** Parses "i80,o3306" or "all"; reports every bad item. Returns null when any item is bad. */
export function parsePortList(list: string, fail: (reason: string) => void): 'all' | PortSpec[] | null {
  const odd = nonAsciiCharacter(list);
  if (odd) {
    fail(`"${list}" contains the look-alike character ${odd} (copied from a document?): retype it with plain ASCII, items separated by commas`);
    return null;
  }
  const separator = /[;:/|]/.exec(list)?.[0];
  if (separator) {
    fail(`"${list}": separate the ports with commas, not "${separator}" (e.g. i80,i443)`);
    return null;
  }
  const items = list.split(',');
  if (items.includes('all')) {
    if (items.length === 1) return 'all';
    fail(`"all" already mirrors every frame: use it alone, not together with "${items.filter((i) => i !== 'all').join(',')}"`);
    return null;
  }
  const specs: PortSpec[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  items.forEach((item, index) => {
    const bad = (reason: string) => {
      ok = false;
      fail(reason);
    };
    if (item === '') return bad(`item ${index + 1} of "${list}" is empty (two commas in a row, or a comma at an end): remove it`);
    const match = /^([A-Za-z]*)(.*)$/.exec(item)!;
    const prefix = match[1]!;
    const number = match[2]!;
    if (prefix !== 'i' && prefix !== 'o') {
      const what = prefix === '' ? 'has no prefix' : `has the unknown prefix "${prefix}"`;
      return bad(`"${item}" ${what}: write iN for an inbound service (clients connect to local port N), oN for an outbound one, or "all"`);
    }
    if (!/^[0-9]+$/.test(number)) return bad(`"${item}": "${number}" is not a port number 1..65535`);
    const port = Number(number);
    if (port < 1 || port > 65535 || number.length > 5) return bad(`"${item}": port ${number} is out of range 1..65535`);
    const key = `${prefix}${port}`;
    const first = seen.get(key);
    if (first !== undefined) return bad(`"${item}" is listed twice (also as "${first}"): remove one`);
    seen.set(key, item);
    specs.push({ direction: prefix === 'i' ? 'in' : 'out', port });
  });
  return ok ? specs : null;
}

/** Linux interface names: 1..15 bytes, no "/", ":" or whitespace. */
function interfaceNameProblem(name: string): string | null {
  const odd = nonAsciiCharacter(name);
  if (odd) return `"${name}" contains the look-alike character ${odd}: retype the interface name (see ip link show)`;
  if (name.length > 15 || /[/:]/.test(name) || name === '.' || name === '..') return `"${name}" is not a valid interface name (at most 15 characters, no "/" or ":"; see ip link show)`;
  if (name.startsWith('ruei-')) return `"${name}" is one of the interfaces ux-tunnel-transmit creates: name the NIC that carries the web traffic (see ip link show)`;
  return null;
}

/**
 * Checks against this host (run before any change): the mirror interface exists and the transmit IP is one of its
 * addresses. Behind NAT the transmit IP is still the local one; the receive side configures the NAT address.
 */
export function checkTunnelConfOnHost(conf: TunnelConf, interfaces: ReadonlySet<string>, localAddresses: ReadonlySet<string>): ConfigError[] {
  const location: Location = { file: conf.file, line: conf.line };
  const errors: ConfigError[] = [];
  if (!interfaces.has(conf.mirrorIf)) {
    errors.push(new ConfigError(location, FIELD_NAMES[2], `there is no interface "${conf.mirrorIf}" on this host (see ip link show; existing: ${[...interfaces].filter((n) => n !== 'lo' && !n.startsWith('ruei-')).join(', ') || 'none'})`));
  }
  if (!localAddresses.has(conf.transmitIp)) {
    errors.push(new ConfigError(location, FIELD_NAMES[1], `${conf.transmitIp} is not an address of this host (see ip address show): the tunnel's local end must be one`));
  }
  return errors;
}

/** "i80,o3306" / "all": the port list as tunnel.conf writes it. */
export function formatPorts(ports: TunnelConf['ports']): string {
  return ports === 'all' ? 'all' : ports.map((p) => `${p.direction === 'in' ? 'i' : 'o'}${p.port}`).join(',');
}
