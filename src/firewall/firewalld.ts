// firewalld: the vendor guide's commands, runtime and permanent, for opening, closing and querying IP protocol 115.
import { op, type Operation } from '../plan/operation.js';
import type { FirewallSide } from './side.js';

// Numeric protocol rather than "l2tp": it does not depend on the name being in /etc/protocols.
const DIRECT_RULE = ['ipv4', 'filter', 'OUTPUT', '0', '-p', '115', '-j', 'ACCEPT'];
const SCOPES = [[], ['--permanent']] as const;

/** The receive side accepts protocol 115 in its zone; the transmit side adds the direct OUTPUT rule of the guide. */
export function planOpen(side: FirewallSide, zone: string): Operation[] {
  return SCOPES.map((scope) =>
    side === 'receive'
      ? op('firewall-cmd', [...scope, `--zone=${zone}`, '--add-protocol=115'])
      : op('firewall-cmd', [...scope, '--direct', '--add-rule', ...DIRECT_RULE]),
  );
}

export function planClose(side: FirewallSide, zone: string): Operation[] {
  return SCOPES.map((scope) =>
    side === 'receive'
      ? op('firewall-cmd', [...scope, `--zone=${zone}`, '--remove-protocol=115'])
      : op('firewall-cmd', [...scope, '--direct', '--remove-rule', ...DIRECT_RULE]),
  );
}

/** Queries whose exit status says whether L2TP is allowed: [runtime, permanent]. */
export function queries(side: FirewallSide, zone: string): [string[], string[]] {
  const make = (scope: readonly string[]) =>
    side === 'receive'
      ? ['firewall-cmd', ...scope, `--zone=${zone}`, '--query-protocol=115']
      : ['firewall-cmd', ...scope, '--direct', '--query-rule', ...DIRECT_RULE];
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
