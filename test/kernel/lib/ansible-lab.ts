// A fleet for the Ansible collection (ansible/): web servers and collectors, each a network namespace that Ansible
// reaches over real SSH, with its own config and state directories; ansible-playbook runs as the operator runs it.
//
//   client 10.3.0.100 --+                          +-- web1 10.3.0.11  nginx   (transmit role)
//                       +--- ns lan: bridge br0 ---+-- web2 10.3.0.12  nginx
//   coll1 10.3.0.21  ---+    (receive role)        +-- web3 10.3.0.13  nginx
//   coll2 10.3.0.22  ---+                          +-- web4 10.3.0.14  nginx
//
// SSH without a listener: each host's ProxyCommand starts `sshd -i` inside that host's namespace (inetd mode: one
// sshd per connection on the pipe), so no port is opened anywhere and every command Ansible runs lands in the host.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNetns, type Cleanup, type Netns } from './netns.js';
import { startNginx } from './nginx.js';
import { exec, execOrThrow } from '../../../src/kernel/exec.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
export const WEB_IPS = { web1: '10.3.0.11', web2: '10.3.0.12', web3: '10.3.0.13', web4: '10.3.0.14' } as const;
export const COLLECTOR_IPS = { coll1: '10.3.0.21', coll2: '10.3.0.22' } as const;
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

export interface PlayResult {
  readonly code: number;
  readonly output: string;
  /** The PLAY RECAP's counters per host. */
  readonly recap: Map<string, Record<string, number>>;
  readonly seconds: number;
}

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

async function sshSetup(dir: string): Promise<{ key: string; sshdConfig: string }> {
  const ssh = join(dir, 'ssh');
  await mkdir(ssh, { mode: 0o700 });
  await execOrThrow(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'ux-tunnel-ansible-test', '-f', join(ssh, 'id')]);
  await execOrThrow(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'ux-tunnel-ansible-host', '-f', join(ssh, 'host')]);
  await execOrThrow(['cp', join(ssh, 'id.pub'), join(ssh, 'authorized_keys')]);
  const sshdConfig = join(ssh, 'sshd_config');
  await writeFile(sshdConfig, [
    `HostKey ${join(ssh, 'host')}`, `AuthorizedKeysFile ${join(ssh, 'authorized_keys')}`, 'PermitRootLogin prohibit-password',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PidFile none',
    'Subsystem sftp internal-sftp', 'LogLevel ERROR',
    // bash reads ~/.bashrc for every command sshd runs (Debian builds it so) unless it is a nested shell: the lab's root
    // account is this machine's, whose .bashrc starts pyenv, and that cost 10 s per command on one emulated CPU (each
    // Ansible task is one or more commands per host). SHLVL=1 makes the session's bash a nested one: 1 s per command.
    'SetEnv SHLVL=1', '',
  ].join('\n'));
  return { key: join(ssh, 'id'), sshdConfig };
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

  const { key, sshdConfig } = await sshSetup(dir);
  // sshd's privilege separation directory; made only when missing, and removed again then.
  if (!existsSync('/run/sshd')) {
    await mkdir('/run/sshd', { mode: 0o755 });
    t.after(() => exec(['rmdir', '/run/sshd']));
  }
  // The collection as Ansible finds an installed one: COLLECTIONS/ansible_collections/ux_tunnel/fleet.
  await mkdir(join(dir, 'collections', 'ansible_collections', 'ux_tunnel'), { recursive: true });
  await symlink(join(ROOT, 'ansible'), join(dir, 'collections', 'ansible_collections', 'ux_tunnel', 'fleet'));
  const config = join(dir, 'ansible.cfg');
  await writeFile(config, [
    '[defaults]', `collections_path = ${join(dir, 'collections')}`, 'forks = 6', 'host_key_checking = False',
    `local_tmp = ${join(dir, 'ansible-local')}`, `remote_tmp = ${join(dir, 'ansible-remote')}`, 'interpreter_python = /usr/bin/python3',
    // A host's connection stays open for the whole test: a collector waits idle while the web servers' play runs
    // (over 5 minutes on one emulated CPU), and a master that expired just as Ansible used it failed the play with
    // "Broken pipe" (UNREACHABLE); retries as an operator's ansible.cfg would have them.
    '[ssh_connection]', 'pipelining = True', `control_path_dir = ${join(dir, 'cp')}`, 'retries = 3',
    'ssh_args = -o ControlMaster=auto -o ControlPersist=3600s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR', '',
  ].join('\n'));
  // The SSH control masters and their sshd run in no namespace of ours: end them with the test (they name dir).
  t.after(() => exec(["pkill", "-f", join(dir, "cp")]));

  const inventory = join(dir, 'inventory.yml');
  const hostVars = (host: FleetHost) => ({
    ansible_host: host.name,
    ansible_user: 'root',
    ansible_ssh_private_key_file: key,
    ansible_ssh_common_args: `-o ProxyCommand="ip netns exec ${host.ns.name} /usr/sbin/sshd -i -f ${sshdConfig}"`,
    ux_tunnel_ruei_home: host.rueiHome,
    ux_tunnel_run_dir: host.runDir,
  });
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
      // Keepalives every 10 s: each one reads the counters with three tc runs, and at 2 s the senders of three web
      // servers took most of one emulated CPU (a skipped task then cost 10 s).
      const text = {
        all: { vars: common, children: {
          ux_tunnel_collectors: { hosts: coll },
          ux_tunnel_web_servers: { vars: { ux_tunnel_mirror_if: 'eth0', ux_tunnel_ports: ['i80'], ux_tunnel_keepalive_interval: 10 }, hosts: web },
        } },
      };
      await writeFile(inventory, `${JSON.stringify(text, null, 2)}\n`); // JSON is YAML
    },
    async play() {
      const started = Date.now();
      const result = await exec(['ansible-playbook', '-i', inventory, join(ROOT, 'ansible', 'playbooks', 'site.yml')], {
        // The log has a timestamp per task: in the lab's job directory when there is one (readable from the host while it runs).
        env: { ...process.env, ANSIBLE_CONFIG: config, ANSIBLE_HOME: join(dir, 'ansible-home'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_LOG_PATH: join(process.env.LAB_JOB_DIR ?? dir, 'ansible.log') },
        timeoutMs: 1_500_000,
      });
      const output = `${result.stdout}${result.stderr}`;
      const recap = new Map<string, Record<string, number>>();
      for (const match of output.matchAll(/^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$/gm)) {
        recap.set(match[1]!, Object.fromEntries([...match[2]!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])])));
      }
      return { code: result.code, output, recap, seconds: (Date.now() - started) / 1000 };
    },
  };
}
