// Where frames were dropped, for a failure message: interface counters, the CPUs' input queues, tc statistics of the
// mirror, and IP reassembly, of the namespaces named (a mirror test that fails says where its frames went).
import type { Netns } from './netns.js';

export async function dropReport(web: Netns, collector: Netns, nic = 'eth0'): Promise<string> {
  const lines: string[] = [];
  for (const [ns, cmd] of [[web, 'ip -s -s link'], [web, 'cat /proc/net/softnet_stat'], [web, `tc -s filter show dev ${nic} ingress; tc -s filter show dev ${nic} egress; tc -s actions ls action police`],
    [collector, 'ip -s -s link'], [collector, 'nstat -az Ip*Reasm* IpExtInCsumErrors IpInDiscards']] as const) {
    lines.push(`== ${ns.name}: ${cmd}\n${(await ns.probe('sh', '-c', cmd)).stdout}`);
  }
  return lines.join('\n');
}
