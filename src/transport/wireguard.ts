// Encryption: the L2TPv3 packets of a tunnel cross the network inside a kernel WireGuard interface between the two
// hosts (one module, as systemd-networkd keeps one file per netdev kind). The tunnel keeps its addresses: a policy rule
// sends IP protocol 115 to an encrypted peer through table WG_TABLE, where a route via the WireGuard interface has a
// blackhole behind it. Whatever happens to the interface (not yet made, deleted, down), a protocol 115 packet to that
// peer is encrypted or dropped, never sent in clear: the rule and blackhole come first and go last.
//
// The same rule makes the collector's reverse-path filter accept the decrypted packets (the kernel dissects the
// protocol for rules that match it, so the reverse route to the sender is the WireGuard one, strict or loose).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { ip, op, type Operation } from '../plan/operation.js';

/** The routing table and rule priority of ours (4115: "115", the protocol, behind a 4); the collector's UDP port. */
export const WG_TABLE = 4115;
export const WG_RULE_PREF = 4115;
export const WG_PORT = 51871;
/** The interface of the transmit side (one peer: the collector) and of the receive side (one peer per web server). */
export const WG_TRANSMIT_IF = 'ruei-wg1';
export const WG_RECEIVE_IF = 'ruei-wg0';
/** WireGuard adds outer IPv4 (20) + UDP (8) + its header and tag (32) to each packet of the tunnel. */
export const WG_OVERHEAD = 60;
/**
 * The WireGuard interfaces' MTU: above the largest L2TPv3 packet of a tunnel (a 64000-byte frame, its L2TP headers
 * and a cookie), so each packet of the tunnel is encrypted whole, once, and the outer UDP datagram is what IP
 * fragments on the path (as the L2TP packet is in clear). With the default (1420) IP fragments the L2TP packet
 * before WireGuard, about 46 packets a frame: WireGuard queues at most 1024 per peer and drops the rest silently,
 * which a burst does on a slow CPU.
 */
export const WG_MTU = 65000;
/** The blackhole's metric: behind the WireGuard route (metric 0) for the same address. */
const BLACKHOLE_METRIC = 4115;
/** The private key file next to the config file (root-only), made by `keys`. */
export const KEY_FILE_NAME = 'wireguard.key';

/** A WireGuard public key as the config lines carry it: 32 bytes in base64 (44 characters); or why it is not one. */
export function parsePublicKey(text: string): string | { reason: string } {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(text)) {
    return { reason: `"${text}" is not a WireGuard public key (44 characters of base64, as "ux-tunnel-receive keys" or "ux-tunnel-transmit keys" print it)` };
  }
  return text;
}

// PKCS#8 header of a raw X25519 private key: the key file holds the 32 bytes in base64, as `wg genkey` writes them.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The public key of a private key file's text; null when the text is not a WireGuard private key. */
export function publicKeyOf(privateText: string): string | null {
  const raw = Buffer.from(privateText.trim(), 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== privateText.trim()) return null;
  const key = createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' }));
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
}

/** A new private key (base64, as `wg genkey`), from the kernel's random generator. */
export function newPrivateKey(): string {
  const { privateKey } = generateKeyPairSync('x25519');
  return Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
}

/** The private key of this host's WireGuard interface, for an encrypted tunnel. */
export interface WgKey {
  readonly file: string;
  readonly publicKey: string;
}

export interface WgPeer {
  readonly publicKey: string;
  /** Addresses (IPv4, /32) the peer may send from inside the tunnel, and that are routed to it. */
  readonly addresses: readonly string[];
  /** "ADDRESS:PORT" to send to (the transmit side); null: learned from the peer's handshake (the collector). */
  readonly endpoint: string | null;
  /**
   * The transmit side's persistent keepalive (seconds): it shakes hands as soon as the interface is up (so status can
   * tell at once whether the collector knows this host's key) and keeps a NAT's UDP mapping open between keepalives.
   */
  readonly persistentKeepalive?: number;
}

export interface WgDesired {
  readonly ifname: string;
  readonly keyFile: string;
  /** The public key of keyFile (to tell whether the interface runs with it). */
  readonly publicKey: string;
  readonly listenPort: number | null;
  readonly peers: readonly WgPeer[];
}

/** What the kernel has of ours: the interface, its peers, table WG_TABLE and the rule. */
export interface WgState {
  /** null: no interface of that name; otherwise its link kind. */
  readonly linkKind: string | null;
  readonly publicKey: string | null;
  readonly listenPort: number | null;
  /** Peer public key -> its allowed addresses (without /32). */
  readonly peers: ReadonlyMap<string, readonly string[]>;
  /** Routes of WG_TABLE: address -> 'dev' (via the interface) and/or 'blackhole'. */
  readonly routes: ReadonlyMap<string, ReadonlySet<'dev' | 'blackhole'>>;
  readonly rule: boolean;
  /** Peer public key -> time of its latest handshake (Unix seconds; 0: never). Read for status, not for planning. */
  readonly handshakes?: ReadonlyMap<string, number>;
}

export const NO_WG: WgState = { linkKind: null, publicKey: null, listenPort: null, peers: new Map(), routes: new Map(), rule: false };

/** WireGuard renews a session every 2 minutes while it carries traffic; the keepalive sends every 20 s. */
export const HANDSHAKE_STALE_SECONDS = 180;

/**
 * What is wrong with an encrypted tunnel's WireGuard side, in words that say what to do; null when its peer shook
 * hands recently. `peer` is the other end's public key, `otherSide` how to reach its config.
 */
export function handshakeProblem(state: WgState | undefined, ifname: string, peer: string, otherSide: string, nowSeconds: number): string | null {
  if (!state || state.linkKind !== 'wireguard') return `${ifname} does not exist, so nothing of this encrypted tunnel can cross: run start (or reload)`;
  if (!state.peers.has(peer)) return `${ifname} has no peer ${peer}: run reload`;
  const at = state.handshakes?.get(peer) ?? 0;
  if (at === 0) return `no WireGuard handshake with ${peer} yet: ${otherSide} must give this host's public key (keys prints it) as wireguard=, and UDP port ${WG_PORT} must be open between the hosts (firewall open)`;
  if (nowSeconds - at > HANDSHAKE_STALE_SECONDS) return `the last WireGuard handshake with ${peer} was ${nowSeconds - at} s ago: is the other side running, with this host's key on its line?`;
  return null;
}

export interface WgPlan {
  /** Before the tunnels are made: rule, blackholes, interface, key, peers, routes. */
  readonly before: Operation[];
  /** After the tunnels are gone: peers and routes no longer wanted; everything when nothing is encrypted. */
  readonly after: Operation[];
  readonly conflicts: string[];
}

const wg = (args: readonly string[], undo?: Operation) => op('wg', args, undo);
const route = (verb: 'add' | 'del', address: string, kind: 'dev' | 'blackhole', ifname: string) =>
  kind === 'dev'
    ? ip(['route', verb, `${address}/32`, 'dev', ifname, 'table', String(WG_TABLE)])
    : ip(['route', verb, 'blackhole', `${address}/32`, 'table', String(WG_TABLE), 'metric', String(BLACKHOLE_METRIC)]);
const ruleArgs = (verb: 'add' | 'del') => ['rule', verb, 'pref', String(WG_RULE_PREF), 'ipproto', '115', 'lookup', String(WG_TABLE)];

/** Plans the WireGuard side of start/reload (desired null or without peers: remove all of it, after the tunnels). */
export function planWireguard(desired: WgDesired | null, state: WgState, ifname: string): WgPlan {
  const before: Operation[] = [];
  const after: Operation[] = [];
  const conflicts: string[] = [];
  if (!desired || desired.peers.length === 0) return { before, after: removeWireguard(state, ifname), conflicts };
  if (state.linkKind !== null && state.linkKind !== 'wireguard') {
    conflicts.push(`an interface ${desired.ifname} of kind ${state.linkKind} exists (ours would be a wireguard interface): remove or rename it`);
    return { before, after, conflicts };
  }
  const wanted = new Set(desired.peers.flatMap((p) => p.addresses));
  // 1. Fail closed first: the rule sends protocol 115 to an encrypted peer into our table, where a blackhole waits.
  if (!state.rule) before.push(ip(ruleArgs('add'), ip(ruleArgs('del'))));
  for (const address of wanted) {
    if (!state.routes.get(address)?.has('blackhole')) before.push({ ...route('add', address, 'blackhole', desired.ifname), undo: route('del', address, 'blackhole', desired.ifname) });
  }
  // 2. The interface with our key, then its peers, then it goes up.
  const fresh = state.linkKind === null;
  if (fresh) before.push(ip(['link', 'add', desired.ifname, 'type', 'wireguard'], ip(['link', 'del', desired.ifname])));
  if (fresh || state.publicKey !== desired.publicKey || state.listenPort !== desired.listenPort) {
    before.push(wg(['set', desired.ifname, 'private-key', desired.keyFile, ...(desired.listenPort ? ['listen-port', String(desired.listenPort)] : [])]));
  }
  for (const peer of desired.peers) {
    const have = state.peers.get(peer.publicKey);
    if (!fresh && have && sameSet(have, peer.addresses)) continue;
    before.push(wg(['set', desired.ifname, 'peer', peer.publicKey, 'allowed-ips', peer.addresses.map((a) => `${a}/32`).join(','),
      ...(peer.endpoint ? ['endpoint', peer.endpoint] : []), ...(peer.persistentKeepalive ? ['persistent-keepalive', String(peer.persistentKeepalive)] : [])]));
  }
  before.push(ip(['link', 'set', 'dev', desired.ifname, 'mtu', String(WG_MTU), 'up']));
  // 3. The way through it, in front of the blackholes.
  for (const address of wanted) if (fresh || !state.routes.get(address)?.has('dev')) before.push(route('add', address, 'dev', desired.ifname));
  // Peers and addresses no longer wanted go after the tunnels that used them.
  if (!fresh) for (const key of state.peers.keys()) if (!desired.peers.some((p) => p.publicKey === key)) after.push(wg(['set', desired.ifname, 'peer', key, 'remove']));
  for (const [address, kinds] of state.routes) {
    if (wanted.has(address)) continue;
    for (const kind of (['dev', 'blackhole'] as const).filter((k) => kinds.has(k))) after.push(route('del', address, kind, desired.ifname));
  }
  return { before, after, conflicts };
}

/** Everything of ours, in the order that never lets a protocol 115 packet out in clear: interface, routes, rule last. */
export function removeWireguard(state: WgState, ifname: string): Operation[] {
  const ops: Operation[] = [];
  if (state.linkKind === 'wireguard') ops.push(ip(['link', 'del', ifname]));
  // The routes via the interface go with it (or went already); the blackholes are deleted after it.
  for (const [address, kinds] of state.routes) if (kinds.has('blackhole')) ops.push(route('del', address, 'blackhole', ''));
  if (state.rule) ops.push(ip(ruleArgs('del')));
  return ops;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
