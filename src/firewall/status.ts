// Finds which firewall this host runs and whether it lets L2TP (IP protocol 115) through for one side.
import type { KernelRunner } from '../kernel/runner.js';
import * as firewalld from './firewalld.js';
import * as nftables from './nftables.js';
import type { FirewallSide } from './side.js';

export type Backend = 'firewalld' | 'nftables' | 'none';

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
}

export async function detectBackend(runner: KernelRunner): Promise<Backend> {
  const state = await runner.probe(['firewall-cmd', '--state']);
  if (state.code === 0 && state.stdout.trim() === 'running') return 'firewalld';
  const nft = await runner.probe(['nft', '-j', 'list', 'ruleset']);
  if (nft.code === 0) return 'nftables';
  return 'none';
}

export async function readStatus(runner: KernelRunner, side: FirewallSide, zoneFlag?: string): Promise<FirewallStatus> {
  const backend = await detectBackend(runner);
  if (backend === 'firewalld') {
    const zone = zoneFlag ?? ((await runner.probe(['firewall-cmd', '--get-default-zone'])).stdout.trim() || 'public');
    const [runtimeQuery, permanentQuery] = firewalld.queries(side, zone);
    const runtime = (await runner.probe(runtimeQuery)).code === 0;
    const permanent = (await runner.probe(permanentQuery)).code === 0;
    const ports = await runner.probe(['firewall-cmd', `--zone=${zone}`, '--list-ports']);
    const permanentPorts = await runner.probe(['firewall-cmd', '--permanent', `--zone=${zone}`, '--list-ports']);
    const mistakes = [...new Set([...firewalld.portMistakes(ports.stdout), ...firewalld.portMistakes(permanentPorts.stdout)])]
      .map((p) => `port ${p} is open in firewalld zone ${zone}`);
    return { backend, zone, allowed: runtime, permanent, mistakes };
  }
  if (backend === 'nftables') {
    const ruleset = nftables.parseRuleset((await runner.read(['nft', '-j', 'list', 'ruleset'])).stdout);
    const ours = new Set(nftables.ourRules(ruleset).map((r) => `${r.family} ${r.table} ${r.chain}`));
    const chains = nftables.filteringChains(ruleset, side).map((c) => {
      const chain = `${c.family} ${c.table} ${c.name}`;
      return { chain, open: ours.has(chain) };
    });
    return { backend, allowed: chains.every((c) => c.open), chains, mistakes: nftables.portMistakes(ruleset), ruleset };
  }
  return { backend, allowed: true, mistakes: [] };
}
