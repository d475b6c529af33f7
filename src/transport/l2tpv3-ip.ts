// L2TPv3 over IP (protocol 115), unmanaged: the vendor's transport. Tunnel ID = session ID on both ends, so one
// number names a web server everywhere (the sender's IP address as a 32-bit number unless configured).
import { addSessionArgs, addTunnelArgs, delTunnelArgs } from '../kernel/l2tp.js';
import { ip, type Operation } from '../plan/operation.js';
import type { Transport, TunnelEnds } from './transport.js';

export const L2TPV3_IP: Transport = {
  name: 'L2TPv3/IP',
  // Outer IPv4 header (20) + session ID (4) + the default L2-specific sublayer iproute2 asks for (4); no cookie.
  overhead: 28,
  cookieOverhead: 8,
  modules: ['l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ip'],
  create: (ends) => createUnmanaged(ends, null),
  remove: (tunnelId) => ip(delTunnelArgs(tunnelId)),
};

/** An unmanaged tunnel and its Ethernet session, over IP or (udpPort) over UDP; the first operation's undo removes both. */
export function createUnmanaged({ tunnelId: id, local, remote, ifname, cookie }: TunnelEnds, udpPort: number | null): Operation[] {
  return [
    ip(addTunnelArgs(id, id, local, remote, udpPort), ip(delTunnelArgs(id))),
    ip(addSessionArgs(ifname, id, id, id, cookie)),
  ];
}
