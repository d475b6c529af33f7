// A fleet for the Ansible collection (ansible/): web servers and collectors, each a network namespace that Ansible
// reaches over real SSH, with its own config and state directories; ansible-playbook runs as the operator runs it.
//
//   client 10.3.0.100 --+                          +-- web1 10.3.0.11  nginx   (transmit role)
//                       +--- ns lan: bridge br0 ---+-- web2 10.3.0.12  nginx
//   coll1 10.3.0.21  ---+    (receive role)        +-- web3 10.3.0.13  nginx
//   coll2 10.3.0.22  ---+                          +-- web4 10.3.0.14  nginx
// (SSH and ansible-playbook: ansible-controller.ts.)
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns, type Cleanup, type Netns } from './netns.js';
import { startNginx } from './nginx.js';
import { createAnsibleController, type PlayResult } from './ansible-controller.js';
import { execOrThrow } from '../../../src/kernel/exec.js';

export type { PlayResult };
export const WEB_IPS = { web1: '10.3.0.11', web2: '10.3.0.12', web3: '10.3.0.13', web4: '10.3.0.14' } as const;
export const COLLECTOR_IPS = { coll1: '10.3.0.21', coll2: '10.3.0.22' } as const;
/** The web servers' keepalive interval in the test's inventory (seconds): the product's default. */
export const KEEPALIVE_INTERVAL = 20;
export type WebName = keyof typeof WEB_IPS;
export type CollectorName = keyof typeof COLLECTOR_IPS;

export interface FleetHost {
  readonly name: string;
  readonly ns: Netns;
  readonly ip: string;
  /** RUEI_HOME of this host (its config directory is under it) and its runtime directory. */
  readonly rueiHome: string;
  readonly runDir: string;
}

export interface FleetWeb extends FleetHost {
  /** The bodies nginx serves, by URL path. */
  readonly files: ReadonlyMap<string, Buffer>;
}

/** Per web server: its collector and whether it is present; a web server not listed is not in the inventory. */
export type Assignment = Partial<Record<WebName, { collector: CollectorName; state?: 'present' | 'absent' }>>;

export interface AnsibleLab {
  readonly dir: string;
  readonly client: Netns;
  readonly webs: Record<WebName, FleetWeb>;
  readonly collectors: Record<CollectorName, FleetHost>;
  /** Writes the inventory for `assignment` (both collectors always), with extra host variables per host. */
  writeInventory(assignment: Assignment, extra?: Record<string, Record<string, unknown>>): Promise<void>;
  /** ansible-playbook with the collection's example playbook (playbooks/site.yml) and the current inventory. */
  play(): Promise<PlayResult>;
}

export async function createAnsibleLab(t: Cleanup, dir: string): Promise<AnsibleLab> {
  const lan = await createNetns(t, 'lan');
  await lan.ip('link add br0 type bridge', 'link set br0 up');
  let port = 0;
  const plug = async (label: string, address: string): Promise<Netns> => {
    const ns = await createNetns(t, label);
    const name = `p${port++}`;
    await execOrThrow(['ip', 'link', 'add', name, 'netns', lan.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    await lan.ip(`link set ${name} master br0`, `link set ${name} up`);
    await ns.ip(`addr add ${address}/24 dev eth0`, 'link set eth0 up');
    return ns;
  };
  // Each host's RUEI_HOME with its side's config directory (what the package, or `install`, makes) and run directory.
  const hostDirs = async (name: string, side: 'transmit' | 'receive') => {
    const home = join(dir, 'hosts', name);
    await mkdir(join(home, 'run'), { recursive: true, mode: 0o700 });
    await mkdir(join(home, 'ruei', 'tunnel', side, 'conf'), { recursive: true });
    return { rueiHome: join(home, 'ruei'), runDir: join(home, 'run') };
  };
  const client = await plug('client', '10.3.0.100');
  const webs = {} as Record<WebName, FleetWeb>;
  for (const [name, ip] of Object.entries(WEB_IPS) as Array<[WebName, string]>) {
    const ns = await plug(name, ip);
    const www = join(dir, 'hosts', name, 'www');
    await mkdir(www, { recursive: true });
    const files = new Map<string, Buffer>([['/small.txt', Buffer.from(`${name}\n`)], ['/payload.bin', randomBytes(1024 * 1024)]]);
    for (const [path, data] of files) await writeFile(join(www, path.slice(1)), data);
    await startNginx(ns, join(dir, 'hosts', name), www);
    webs[name] = { name, ns, ip, files, ...(await hostDirs(name, 'transmit')) };
  }
  const collectors = {} as Record<CollectorName, FleetHost>;
  for (const [name, ip] of Object.entries(COLLECTOR_IPS) as Array<[CollectorName, string]>) {
    collectors[name] = { name, ns: await plug(name, ip), ip, ...(await hostDirs(name, 'receive')) };
  }

  const controller = await createAnsibleController(t, dir);
  const inventory = join(dir, 'inventory.yml');
  const hostVars = (host: FleetHost) => ({ ...controller.hostVars(host.name, host.ns), ux_tunnel_ruei_home: host.rueiHome, ux_tunnel_run_dir: host.runDir });
  return {
    dir, client, webs, collectors,
    async writeInventory(assignment, extra = {}) {
      // The packages are installed beforehand (the hosts share the lab's root, which has no repository): every package
      // manager run costs a minute under emulation, so the roles' own install (package-file.yml) is not run here, and
      // without systemd in the namespaces the roles run the sides as the units would (ux_tunnel_service_manager none).
      // The namespaces have no firewall (firewall open would say so): its task is left out, as each step of each host
      // costs tens of seconds of emulated CPU (firewall open itself is tested in firewall.test.ts).
      const common = { ux_tunnel_service_manager: 'none', ux_tunnel_package_source: 'none', ux_tunnel_firewall: false, ux_tunnel_verify_timeout: 120 };
      const web = Object.fromEntries(Object.entries(assignment).map(([name, a]) => {
        const host = webs[name as WebName];
        return [name, {
          ...hostVars(host), ux_tunnel_collector: a!.collector, ux_tunnel_transmit_ip: host.ip, ...(a!.state ? { ux_tunnel_state: a!.state } : {}), ...extra[name],
        }];
      }));
      const coll = Object.fromEntries(Object.values(collectors).map((c) => [c.name, { ...hostVars(c), ux_tunnel_receiving_ip: c.ip, ...extra[c.name] }]));
      // Keepalives every 20 s (the default): each one reads the counters with three tc runs, and at 2 s the senders of
      // three web servers took most of one emulated CPU (a skipped task then cost 10 s).
      const text = {
        all: { vars: common, children: {
          ux_tunnel_collectors: { hosts: coll },
          ux_tunnel_web_servers: { vars: { ux_tunnel_mirror_if: 'eth0', ux_tunnel_ports: ['i80'], ux_tunnel_keepalive_interval: KEEPALIVE_INTERVAL }, hosts: web },
        } },
      };
      await writeFile(inventory, `${JSON.stringify(text, null, 2)}\n`); // JSON is YAML
    },
    play: () => controller.play(inventory),
  };
}
