// Finds which firewall this host runs and whether it lets L2TP (IP protocol 115) through for one side.
import type { KernelRunner } from '../kernel/runner.js';
import * as firewalld from './firewalld.js';
import * as nftables from './nftables.js';
import type { FirewallSide } from './side.js';

export type Backend = 'firewalld' | 'nftables' | 'none' | 'unknown';

export interface FirewallStatus {
  readonly backend: Backend;
  /** firewalld zone the rule applies to. */
  readonly zone?: string;
  /** L2TP is allowed now (runtime), or nothing filters it. */
  readonly allowed: boolean;
  /** firewalld: also in the permanent configuration. */
  readonly permanent?: boolean;
  /** nftables: each filtering chain and whether our rule is in it. */
  readonly chains?: Array<{ chain: string; open: boolean }>;
  /** TCP/UDP port 115 openings: the common mistake. */
  readonly mistakes: string[];
  /** For nftables only: the parsed ruleset the plan is made from. */
  readonly ruleset?: nftables.NftRuleset;
  /** Why the verdict cannot be known (a ruleset that cannot be read, legacy iptables rules): status then fails. */
  readonly unknown?: string;
  /** nftables: filtering chains whose policy drops what no rule accepts, without our rule. */
  readonly blockedBy?: string[];
}

export async function detectBackend(runner: KernelRunner): Promise<{ backend: Backend; why?: string }> {
  const state = await runner.probe(['firewall-cmd', '--state']);
  if (state.code === 0 && state.stdout.trim() === 'running') return { backend: 'firewalld' };
  const nft = await runner.probe(['nft', '-j', 'list', 'ruleset']);
  if (nft.code === 0) return { backend: 'nftables' };
  // nft is there but cannot read the ruleset (not root, no nf_tables): that is not "no firewall".
  if (nft.code !== 127) return { backend: 'unknown', why: `cannot read the nftables ruleset (${nft.stderr.trim().split('\n')[0] || `nft exited ${nft.code}`})${/permitted|denied/i.test(nft.stderr) ? ': run as root' : ''}` };
  return { backend: 'none' };
}

/**
 * Rules of legacy iptables (x_tables, which `nft` does not show) in the filter table: a non-empty chain or a policy
 * other than ACCEPT. ux-tunnel does not judge them; their presence makes the verdict unknown. Null: none, or no
 * iptables-legacy here.
 */
export async function legacyIptables(runner: KernelRunner): Promise<string | null> {
  const save = await runner.probe(['iptables-legacy-save', '-t', 'filter']);
  if (save.code !== 0) return null;
  const policies = [...save.stdout.matchAll(/^:(\S+) (DROP|REJECT)\b/gm)].map((m) => `${m[1]} policy ${m[2]}`);
  const rules = save.stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
  if (policies.length === 0 && rules === 0) return null;
  return `legacy iptables has ${[...policies, ...(rules > 0 ? [`${rules} rule(s)`] : [])].join(', ')}, which ux-tunnel does not read: check that they accept IP protocol 115 (iptables-legacy -S)`;
}

/** `udpPorts`: the UDP ports the config needs (encrypted tunnels, L2TPv3 over UDP), which must be allowed too. */
export async function readStatus(runner: KernelRunner, side: FirewallSide, zoneFlag?: string, udpPorts: readonly number[] = []): Promise<FirewallStatus> {
  const status = await readBackendStatus(runner, side, zoneFlag, udpPorts);
  const legacy = await legacyIptables(runner);
  return legacy ? { ...status, unknown: status.unknown ? `${status.unknown}; ${legacy}` : legacy } : status;
}

async function readBackendStatus(runner: KernelRunner, side: FirewallSide, zoneFlag: string | undefined, udpPorts: readonly number[]): Promise<FirewallStatus> {
  const { backend, why } = await detectBackend(runner);
  if (backend === 'unknown') return { backend, allowed: false, mistakes: [], unknown: why };
  if (backend === 'firewalld') {
    const zone = zoneFlag ?? ((await runner.probe(['firewall-cmd', '--get-default-zone'])).stdout.trim() || 'public');
    const [runtimeQueries, permanentQueries] = firewalld.queries(side, zone, udpPorts);
    const all = async (list: string[][]) => (await Promise.all(list.map((q) => runner.probe(q)))).every((r) => r.code === 0);
    const runtime = await all(runtimeQueries);
    const permanent = await all(permanentQueries);
    const ports = await runner.probe(['firewall-cmd', `--zone=${zone}`, '--list-ports']);
    const permanentPorts = await runner.probe(['firewall-cmd', '--permanent', `--zone=${zone}`, '--list-ports']);
    const mistakes = [...new Set([...firewalld.portMistakes(ports.stdout), ...firewalld.portMistakes(permanentPorts.stdout)])]
      .map((p) => `port ${p} is open in firewalld zone ${zone}`);
    return { backend, zone, allowed: runtime, permanent, mistakes };
  }
  if (backend === 'nftables') {
    const ruleset = nftables.parseRuleset((await runner.read(['nft', '-j', 'list', 'ruleset'])).stdout);
    const key = (r: nftables.NftRule) => `${r.family} ${r.table} ${r.chain}`;
    const portOpen = udpPorts.map((port) => new Set(nftables.ourRules(ruleset, port).map(key)));
    // A chain is open when it has our protocol 115 rule (and our rule of each UDP port the config needs).
    const ours = new Set(nftables.ourRules(ruleset).map(key).filter((k) => portOpen.every((open) => open.has(k))));
    const chains = nftables.filteringChains(ruleset, side).map((c) => {
      const chain = `${c.family} ${c.table} ${c.name}`;
      return { chain, open: ours.has(chain) };
    });
    const blockedBy = nftables.filteringChains(ruleset, side).filter((c) => c.policy === 'drop' && !ours.has(`${c.family} ${c.table} ${c.name}`)).map((c) => `${c.family} ${c.table} ${c.name}`);
    return { backend, allowed: chains.every((c) => c.open), chains, mistakes: nftables.portMistakes(ruleset), ruleset, blockedBy };
  }
  return { backend, allowed: true, mistakes: [] };
}
