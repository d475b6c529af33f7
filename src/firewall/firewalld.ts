// firewalld: the vendor guide's commands, runtime and permanent, for opening, closing and querying IP protocol 115.
import { op, type Operation } from '../plan/operation.js';
import type { FirewallSide } from './side.js';
import { WG_PORT } from '../transport/wireguard.js';

// Numeric protocol rather than "l2tp": it does not depend on the name being in /etc/protocols.
const DIRECT_RULE = ['ipv4', 'filter', 'OUTPUT', '0', '-p', '115', '-j', 'ACCEPT'];
const SCOPES = [[], ['--permanent']] as const;
/** Encrypted tunnels (wireguard=): the collector's WireGuard port, in and out. */
const WG_DIRECT_RULE = ['ipv4', 'filter', 'OUTPUT', '0', '-p', 'udp', '--dport', String(WG_PORT), '-j', 'ACCEPT'];
const WG_ZONE_PORT = `${WG_PORT}/udp`;

/**
 * The receive side accepts protocol 115 in its zone; the transmit side adds the direct OUTPUT rule of the guide. With
 * encrypted tunnels (`wireguard`), the WireGuard port too: in the zone, or out by a second direct rule.
 */
export function planOpen(side: FirewallSide, zone: string, wireguard = false): Operation[] {
  return SCOPES.flatMap((scope) =>
    side === 'receive'
      ? [op('firewall-cmd', [...scope, `--zone=${zone}`, '--add-protocol=115']), ...(wireguard ? [op('firewall-cmd', [...scope, `--zone=${zone}`, `--add-port=${WG_ZONE_PORT}`])] : [])]
      : [op('firewall-cmd', [...scope, '--direct', '--add-rule', ...DIRECT_RULE]), ...(wireguard ? [op('firewall-cmd', [...scope, '--direct', '--add-rule', ...WG_DIRECT_RULE])] : [])],
  );
}

/** Removes what open adds, the WireGuard port only when it was asked for (it may be someone else's opening too). */
export function planClose(side: FirewallSide, zone: string, wireguard = false): Operation[] {
  return SCOPES.flatMap((scope) =>
    side === 'receive'
      ? [op('firewall-cmd', [...scope, `--zone=${zone}`, '--remove-protocol=115']), ...(wireguard ? [op('firewall-cmd', [...scope, `--zone=${zone}`, `--remove-port=${WG_ZONE_PORT}`])] : [])]
      : [op('firewall-cmd', [...scope, '--direct', '--remove-rule', ...DIRECT_RULE]), ...(wireguard ? [op('firewall-cmd', [...scope, '--direct', '--remove-rule', ...WG_DIRECT_RULE])] : [])],
  );
}

/** Queries whose exit status says whether L2TP is allowed: [runtime, permanent]; each a list that must all succeed. */
export function queries(side: FirewallSide, zone: string, wireguard = false): [string[][], string[][]] {
  const make = (scope: readonly string[]) =>
    side === 'receive'
      ? [['firewall-cmd', ...scope, `--zone=${zone}`, '--query-protocol=115'], ...(wireguard ? [['firewall-cmd', ...scope, `--zone=${zone}`, `--query-port=${WG_ZONE_PORT}`]] : [])]
      : [['firewall-cmd', ...scope, '--direct', '--query-rule', ...DIRECT_RULE], ...(wireguard ? [['firewall-cmd', ...scope, '--direct', '--query-rule', ...WG_DIRECT_RULE]] : [])];
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
