// Reads back what transport/wireguard.ts makes: the WireGuard interface (wg show), table WG_TABLE and our rule.
import type { KernelRunner } from './runner.js';
import { NO_WG, WG_RULE_PREF, WG_TABLE, type WgState } from '../transport/wireguard.js';

interface RawRoute { dst?: string; type?: string; dev?: string }
interface RawRule { priority?: number; table?: string }

/** `linkKind`: the kind of the link named ifname from the caller's link list (null: none). */
export async function readWgState(runner: KernelRunner, ifname: string, linkKind: string | null): Promise<WgState> {
  const [routes, rules] = await Promise.all([
    runner.probe(['ip', '-j', 'route', 'show', 'table', String(WG_TABLE)]),
    runner.probe(['ip', '-j', 'rule', 'show']),
  ]);
  const state = { ...NO_WG, linkKind, routes: parseWgRoutes(routes.code === 0 ? routes.stdout : ''), rule: parseWgRule(rules.code === 0 ? rules.stdout : '') };
  if (linkKind !== 'wireguard') return state;
  // Never `wg show dump`: its first line is the private key, and nothing of this reader may hold it.
  const [publicKey, port, allowed, handshakes] = await Promise.all([
    runner.probe(['wg', 'show', ifname, 'public-key']),
    runner.probe(['wg', 'show', ifname, 'listen-port']),
    runner.probe(['wg', 'show', ifname, 'allowed-ips']),
    runner.probe(['wg', 'show', ifname, 'latest-handshakes']),
  ]);
  return {
    ...state,
    publicKey: publicKey.code === 0 && publicKey.stdout.trim() !== '(none)' ? publicKey.stdout.trim() || null : null,
    listenPort: port.code === 0 && /^\d+$/.test(port.stdout.trim()) && port.stdout.trim() !== '0' ? Number(port.stdout.trim()) : null,
    peers: parseAllowedIps(allowed.code === 0 ? allowed.stdout : ''),
    handshakes: parseHandshakes(handshakes.code === 0 ? handshakes.stdout : ''),
  };
}

/** `wg show IF latest-handshakes`: "PUBKEY\tUNIX-SECONDS" per peer (0: never). */
export function parseHandshakes(text: string): Map<string, number> {
  return new Map(text.split('\n').filter(Boolean).map((line) => {
    const [key, at = '0'] = line.split('\t');
    return [key!, Number(at) || 0] as const;
  }));
}

/** `wg show IF allowed-ips`: "PUBKEY\t10.1.0.11/32 10.2.0.13/32" per peer ("(none)" when it has none). */
export function parseAllowedIps(text: string): Map<string, string[]> {
  const peers = new Map<string, string[]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const [key, list = ''] = line.split('\t');
    peers.set(key!, list.split(' ').filter((a) => a.endsWith('/32')).map((a) => a.slice(0, -3)));
  }
  return peers;
}

export function parseWgRoutes(json: string): Map<string, Set<'dev' | 'blackhole'>> {
  const routes = new Map<string, Set<'dev' | 'blackhole'>>();
  if (json.trim() === '') return routes;
  for (const r of JSON.parse(json) as RawRoute[]) {
    if (!r.dst) continue;
    const kind = r.type === 'blackhole' ? 'blackhole' : r.dev ? 'dev' : null;
    if (!kind) continue;
    const address = r.dst.replace(/\/32$/, '');
    routes.set(address, (routes.get(address) ?? new Set()).add(kind));
  }
  return routes;
}

export function parseWgRule(json: string): boolean {
  if (json.trim() === '') return false;
  return (JSON.parse(json) as RawRule[]).some((r) => r.priority === WG_RULE_PREF && r.table === String(WG_TABLE));
}
