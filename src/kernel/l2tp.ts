// L2TPv3 kernel objects: reader of `ip -j l2tp show tunnel|session` and argv builders for unmanaged tunnels/sessions.
import { existsSync } from 'node:fs';
import type { KernelRunner } from './runner.js';

export interface L2tpTunnel {
  readonly tunnelId: number;
  readonly peerTunnelId: number;
  /** "IP" (protocol 115) or "UDP", as ip prints it. */
  readonly encap: string;
  readonly local: string;
  readonly peer: string;
  /** UDP encapsulation's local and peer ports; null over IP. */
  readonly localPort: number | null;
  readonly peerPort: number | null;
}

export interface L2tpSession {
  readonly sessionId: number;
  readonly tunnelId: number;
  readonly peerSessionId: number;
  readonly peerTunnelId: number;
  /** The Ethernet session interface, e.g. ruei-mtun-00000. */
  readonly interface: string;
  /** The cookie the session expects in packets it receives, and the one it sends (hex); null: none. */
  readonly cookie: string | null;
  readonly peerCookie: string | null;
}

export interface L2tpState {
  readonly tunnels: L2tpTunnel[];
  readonly sessions: L2tpSession[];
}

interface RawTunnel {
  tunnel_id: number;
  peer_tunnel?: number;
  encap?: string;
  local?: string;
  peer?: string;
  local_port?: number;
  peer_port?: number;
}
interface RawSession {
  session_id: number;
  tunnel_id: number;
  peer_session_id?: number;
  peer_tunnel_id?: number;
  interface?: string;
  cookie?: string;
  peer_cookie?: string;
}

export function parseL2tpTunnels(json: string): L2tpTunnel[] {
  if (json.trim() === '') return [];
  return (JSON.parse(json) as RawTunnel[]).map((t) => ({
    tunnelId: t.tunnel_id,
    peerTunnelId: t.peer_tunnel ?? 0,
    encap: t.encap ?? '',
    local: t.local ?? '',
    peer: t.peer ?? '',
    localPort: t.local_port ?? null,
    peerPort: t.peer_port ?? null,
  }));
}

export function parseL2tpSessions(json: string): L2tpSession[] {
  if (json.trim() === '') return [];
  return (JSON.parse(json) as RawSession[]).map((s) => ({
    sessionId: s.session_id,
    tunnelId: s.tunnel_id,
    peerSessionId: s.peer_session_id ?? 0,
    peerTunnelId: s.peer_tunnel_id ?? 0,
    interface: s.interface ?? '',
    cookie: s.cookie ?? null,
    peerCookie: s.peer_cookie ?? null,
  }));
}

/**
 * Reads every L2TP tunnel and session of this network namespace. Before l2tp_netlink is loaded `ip l2tp show`
 * fails (the generic netlink family does not exist yet), which means there are none.
 */
export async function readL2tp(runner: KernelRunner): Promise<L2tpState> {
  const tunnels = await runner.probe(['ip', '-j', 'l2tp', 'show', 'tunnel']);
  const sessions = await runner.probe(['ip', '-j', 'l2tp', 'show', 'session']);
  for (const result of [tunnels, sessions]) {
    if (result.code !== 0) {
      if (!existsSync('/sys/module/l2tp_netlink')) return { tunnels: [], sessions: [] };
      await runner.read(result.argv); // throws CommandError naming the command and its stderr
    }
  }
  return { tunnels: parseL2tpTunnels(tunnels.stdout), sessions: parseL2tpSessions(sessions.stdout) };
}

/**
 * `ip l2tp add tunnel ...` arguments for an unmanaged L2TPv3 tunnel over IP (protocol 115), or over UDP from and to
 * `udpPort` (the kernel binds the tunnel's own socket to local:udpPort and connects it to remote:udpPort).
 */
export function addTunnelArgs(tunnelId: number, peerTunnelId: number, local: string, remote: string, udpPort: number | null = null): string[] {
  const encap = udpPort === null ? ['encap', 'ip'] : ['encap', 'udp'];
  const ports = udpPort === null ? [] : ['udp_sport', String(udpPort), 'udp_dport', String(udpPort)];
  return ['l2tp', 'add', 'tunnel', 'tunnel_id', String(tunnelId), 'peer_tunnel_id', String(peerTunnelId), ...encap, 'local', local, 'remote', remote, ...ports];
}

/** True when the kernel's tunnel has the encapsulation (and ports) `udpPort` asks for. */
export function sameEncap(tunnel: L2tpTunnel, udpPort: number | null): boolean {
  if (udpPort === null) return tunnel.encap.toUpperCase() === 'IP';
  return tunnel.encap.toUpperCase() === 'UDP' && tunnel.localPort === udpPort && tunnel.peerPort === udpPort;
}

/**
 * `ip l2tp add session ...` arguments for an Ethernet session with a named interface; with a cookie, the same one
 * both ways (the kernel checks `cookie` on what arrives and puts `peer_cookie` on what it sends).
 */
export function addSessionArgs(name: string, tunnelId: number, sessionId: number, peerSessionId: number, cookie: string | null = null): string[] {
  const args = ['l2tp', 'add', 'session', 'name', name, 'tunnel_id', String(tunnelId), 'session_id', String(sessionId), 'peer_session_id', String(peerSessionId)];
  return cookie ? [...args, 'cookie', cookie, 'peer_cookie', cookie] : args;
}

/** Deleting a tunnel deletes its sessions and their interfaces with it. */
export function delTunnelArgs(tunnelId: number): string[] {
  return ['l2tp', 'del', 'tunnel', 'tunnel_id', String(tunnelId)];
}
