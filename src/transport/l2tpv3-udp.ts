// L2TPv3 over UDP (RFC 3931 section 4.1.2.1), unmanaged, for networks and security lists that pass only TCP and UDP
// and for NAT devices that do not translate IP protocol 115. One port number names both ends (udp=PORT on both lines).
//
// The kernel gives each UDP tunnel a socket of its own, bound to local:PORT and connected to remote:PORT (iproute2
// cannot make an unconnected one), so on the collector every UDP tunnel needs its own port, and a NAT between must
// keep the source port (Linux's masquerade does unless two senders behind it use the same one).
import { createUnmanaged, L2TPV3_IP } from './l2tpv3-ip.js';
import type { Transport } from './transport.js';

/** UDP header (8) and the L2TPv3-over-UDP header's flags, version and reserved field (4) before the session ID. */
export const UDP_EXTRA = 12;
export { L2TPV3_UDP_DATA } from '../diag/frame.js';

export function l2tpv3Udp(port: number): Transport {
  return {
    name: `L2TPv3/UDP ${port}`,
    overhead: L2TPV3_IP.overhead + UDP_EXTRA,
    cookieOverhead: L2TPV3_IP.cookieOverhead,
    modules: ['l2tp_core', 'l2tp_netlink', 'l2tp_eth'],
    create: (ends) => createUnmanaged(ends, port),
    remove: L2TPV3_IP.remove,
  };
}

/** The transport of a line: over UDP with udp=, else the vendor's IP protocol 115. */
export const transportOf = (udpPort: number | null): Transport => (udpPort === null ? L2TPV3_IP : l2tpv3Udp(udpPort));
