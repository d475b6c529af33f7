// A tunnel kind, the way systemd-networkd keeps one file per netdev kind: everything the planners, diagnostics and
// the benchmark need to know about how frames cross the network. L2TPv3 over IP is the vendor's (and the only one
// today); L2TPv3 over UDP, cookies and encryption each become one more module implementing this interface.
import type { Operation } from '../plan/operation.js';

export interface TunnelEnds {
  readonly tunnelId: number;
  readonly local: string;
  readonly remote: string;
  /** The Ethernet session interface (ruei-tun1, ruei-mtun-NNNNN). */
  readonly ifname: string;
  /** The 64-bit cookie (16 hex digits) both ends put in and check; null: none. */
  readonly cookie: string | null;
}

export interface Transport {
  /** How users and messages name it, e.g. "L2TPv3/IP". */
  readonly name: string;
  /** Bytes the transport adds to each mirrored Ethernet frame on the path, the outer IP header included (no cookie). */
  readonly overhead: number;
  /** Bytes a 64-bit cookie adds on top of `overhead`. */
  readonly cookieOverhead: number;
  /** Kernel modules it needs on either side. */
  readonly modules: readonly string[];
  /** The operations that create the tunnel and its session interface (the first one's undo removes both). */
  create(ends: TunnelEnds): Operation[];
  /** The operation that removes the tunnel, its session and interface with it. */
  remove(tunnelId: number): Operation;
}
