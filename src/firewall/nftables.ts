// nftables: find the base chains that filter L2TP, plan our accept rule into them, and spot the port-115 mistake.
import { op, type Operation } from '../plan/operation.js';
import type { FirewallSide } from './side.js';
import { WG_PORT } from '../transport/wireguard.js';

/** Marks the rules we insert; close and status find them by it, and never touch another rule. */
export const RULE_COMMENT = 'ux-tunnel: L2TP (IP protocol 115)';
/** The rule for encrypted tunnels' WireGuard port. */
export const WG_RULE_COMMENT = `ux-tunnel: WireGuard (UDP ${WG_PORT})`;
/** The rule for a UDP port the config needs: WireGuard's, or an L2TPv3-over-UDP tunnel's (udp=). */
export const udpRuleComment = (port: number): string => (port === WG_PORT ? WG_RULE_COMMENT : `ux-tunnel: L2TPv3 over UDP ${port}`);
const OUR_PREFIX = 'ux-tunnel: ';

export interface NftChain {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly hook?: string;
  readonly policy?: string;
}

export interface NftRule {
  readonly family: string;
  readonly table: string;
  readonly chain: string;
  readonly handle: number;
  readonly comment?: string;
  readonly expr: unknown[];
}

export interface NftRuleset {
  readonly chains: NftChain[];
  readonly rules: NftRule[];
}

/** Parses `nft -j list ruleset`. */
export function parseRuleset(json: string): NftRuleset {
  const items = (JSON.parse(json) as { nftables?: Array<Record<string, unknown>> }).nftables ?? [];
  const chains: NftChain[] = [];
  const rules: NftRule[] = [];
  for (const item of items) {
    if (item.chain) chains.push(item.chain as NftChain);
    if (item.rule) rules.push(item.rule as NftRule);
  }
  return { chains, rules };
}

const chainKey = (c: { family: string; table: string }, name: string) => `${c.family} ${c.table} ${name}`;

/** IPv4-capable base chains on the hook that sees the tunnel's packets: input on the collector, output on the web server. */
export function filteringChains(ruleset: NftRuleset, side: FirewallSide): NftChain[] {
  const hook = side === 'receive' ? 'input' : 'output';
  return ruleset.chains.filter((c) => c.hook === hook && (c.family === 'ip' || c.family === 'inet'));
}

/** Our rules: the protocol 115 one, the one of a UDP port, or ('all') every rule ux-tunnel inserted. */
export function ourRules(ruleset: NftRuleset, which: 'l2tp' | number | 'all' = 'l2tp'): NftRule[] {
  if (which === 'all') return ruleset.rules.filter((r) => r.comment?.startsWith(OUR_PREFIX));
  const comment = which === 'l2tp' ? RULE_COMMENT : udpRuleComment(which);
  return ruleset.rules.filter((r) => r.comment === comment);
}

/** One insert (at the top, so no earlier drop wins) per filtering chain that lacks our rule; one per UDP port too. */
export function planOpen(ruleset: NftRuleset, side: FirewallSide, udpPorts: readonly number[] = []): Operation[] {
  const missing = (which: 'l2tp' | number) => {
    const have = new Set(ourRules(ruleset, which).map((r) => chainKey(r, r.chain)));
    return filteringChains(ruleset, side).filter((c) => !have.has(chainKey(c, c.name)));
  };
  return [
    ...missing('l2tp').map((c) => op('nft', ['insert', 'rule', c.family, c.table, c.name, 'meta', 'l4proto', '115', 'accept', 'comment', `"${RULE_COMMENT}"`])),
    ...udpPorts.flatMap((port) => missing(port).map((c) => op('nft', ['insert', 'rule', c.family, c.table, c.name, 'udp', 'dport', String(port), 'accept', 'comment', `"${udpRuleComment(port)}"`]))),
  ];
}

export function planClose(ruleset: NftRuleset): Operation[] {
  return ourRules(ruleset, 'all').map((r) => op('nft', ['delete', 'rule', r.family, r.table, r.chain, 'handle', String(r.handle)]));
}

/** Rules that open TCP or UDP port 115: the most common mistake, since L2TPv3 is IP protocol 115, not a port. */
export function portMistakes(ruleset: NftRuleset): string[] {
  const found: string[] = [];
  for (const rule of ruleset.rules) {
    for (const expr of rule.expr) {
      const match = (expr as { match?: { left?: { payload?: { protocol?: string; field?: string } }; right?: unknown } }).match;
      const payload = match?.left?.payload;
      if (!payload || (payload.protocol !== 'tcp' && payload.protocol !== 'udp') || payload.field !== 'dport') continue;
      if (includes115(match?.right)) found.push(`${payload.protocol} port 115 in ${chainKey(rule, rule.chain)} (rule handle ${rule.handle})`);
    }
  }
  return found;
}

function includes115(right: unknown): boolean {
  if (right === 115) return true;
  if (Array.isArray(right)) return right.some(includes115);
  if (right && typeof right === 'object') {
    const value = right as { set?: unknown; range?: [number, number] };
    if (value.set !== undefined) return includes115(value.set);
    if (Array.isArray(value.range)) return value.range[0] <= 115 && 115 <= value.range[1];
  }
  return false;
}
