// firewalld: the vendor guide's commands, runtime and permanent, for opening, closing and querying IP protocol 115.
import { op, type Operation } from '../plan/operation.js';
import type { FirewallSide } from './side.js';

// Numeric protocol rather than "l2tp": it does not depend on the name being in /etc/protocols.
const DIRECT_RULE = ['ipv4', 'filter', 'OUTPUT', '0', '-p', '115', '-j', 'ACCEPT'];
const SCOPES = [[], ['--permanent']] as const;
/** A UDP port the config needs (WireGuard's for wireguard=, each udp= port): out by a direct rule, in by the zone. */
const udpDirectRule = (port: number) => ['ipv4', 'filter', 'OUTPUT', '0', '-p', 'udp', '--dport', String(port), '-j', 'ACCEPT'];

/** What open adds in one scope, as firewall-cmd arguments after the scope; `verb` is add, remove or query. */
function openings(side: FirewallSide, zone: string, udpPorts: readonly number[], verb: 'add' | 'remove' | 'query'): string[][] {
  return side === 'receive'
    ? [[`--zone=${zone}`, `--${verb}-protocol=115`], ...udpPorts.map((p) => [`--zone=${zone}`, `--${verb}-port=${p}/udp`])]
    : [['--direct', `--${verb}-rule`, ...DIRECT_RULE], ...udpPorts.map((p) => ['--direct', `--${verb}-rule`, ...udpDirectRule(p)])];
}

/**
 * The receive side accepts protocol 115 in its zone; the transmit side adds the direct OUTPUT rule of the guide. With
 * UDP ports in the config (`udpPorts`: encrypted tunnels, L2TPv3 over UDP), those too: in the zone, or out by direct rules.
 */
export function planOpen(side: FirewallSide, zone: string, udpPorts: readonly number[] = []): Operation[] {
  return SCOPES.flatMap((scope) => openings(side, zone, udpPorts, 'add').map((args) => op('firewall-cmd', [...scope, ...args])));
}

/** Removes what open adds, UDP ports only those the config names (another opening of a port may be someone else's). */
export function planClose(side: FirewallSide, zone: string, udpPorts: readonly number[] = []): Operation[] {
  return SCOPES.flatMap((scope) => openings(side, zone, udpPorts, 'remove').map((args) => op('firewall-cmd', [...scope, ...args])));
}

/** Queries whose exit status says whether L2TP is allowed: [runtime, permanent]; each a list that must all succeed. */
export function queries(side: FirewallSide, zone: string, udpPorts: readonly number[] = []): [string[][], string[][]] {
  const make = (scope: readonly string[]) => openings(side, zone, udpPorts, 'query').map((args) => ['firewall-cmd', ...scope, ...args]);
  return [make(SCOPES[0]), make(SCOPES[1])];
}

/** "115/tcp 115/udp" from `firewall-cmd --list-ports`: ports opened where a protocol was meant. */
export function portMistakes(listPortsOutput: string): string[] {
  return listPortsOutput.split(/\s+/).filter((p) => /^115(-\d+)?\/(tcp|udp)$/.test(p) || /^(\d+)-(\d+)\/(tcp|udp)$/.test(p) && inRange(p));
}

function inRange(port: string): boolean {
  const m = /^(\d+)-(\d+)\//.exec(port);
  return m ? Number(m[1]) <= 115 && 115 <= Number(m[2]) : false;
}
