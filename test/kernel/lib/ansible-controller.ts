// ansible-playbook as an operator runs it, against hosts that are network namespaces of the lab, reached over real SSH
// with the collection (ansible/) installed as Ansible finds one. Used by the kernel lab's fleet test and the systemd
// lab's test of the roles' defaults.
//
// SSH without a listener: each host's ProxyCommand starts `sshd -i` inside that host's namespace (inetd mode: one
// sshd per connection on the pipe), so no port is opened anywhere and every command Ansible runs lands in the host.
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Cleanup, Netns } from './netns.js';
import { exec, execOrThrow } from '../../../src/kernel/exec.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');

export interface PlayResult {
  readonly code: number;
  readonly output: string;
  /** The PLAY RECAP's counters per host. */
  readonly recap: Map<string, Record<string, number>>;
  readonly seconds: number;
}

export interface AnsibleController {
  /** The inventory variables that reach `ns` as root over SSH (named `name` in the inventory). */
  hostVars(name: string, ns: Pick<Netns, 'name'>): Record<string, string>;
  /** ansible-playbook with the collection's example playbook (playbooks/site.yml) and `inventory`. */
  play(inventory: string): Promise<PlayResult>;
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

export async function createAnsibleController(t: Cleanup, dir: string): Promise<AnsibleController> {
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
  t.after(() => exec(['pkill', '-f', join(dir, 'cp')]));

  return {
    hostVars: (name, ns) => ({
      ansible_host: name,
      ansible_user: 'root',
      ansible_ssh_private_key_file: key,
      ansible_ssh_common_args: `-o ProxyCommand="ip netns exec ${ns.name} /usr/sbin/sshd -i -f ${sshdConfig}"`,
    }),
    async play(inventory) {
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

/** The play went through: no host failed or unreachable (the output says why otherwise). */
export function playFailure(result: PlayResult): string | null {
  const bad = [...result.recap].filter(([, c]) => (c.failed ?? 0) > 0 || (c.unreachable ?? 0) > 0);
  return result.code === 0 && bad.length === 0 && result.recap.size > 0 ? null : `ansible-playbook exited ${result.code}:\n${result.output.slice(-6000)}`;
}

/** The hosts the play changed, sorted. */
export const changedHosts = (result: PlayResult): string[] => [...result.recap].filter(([, c]) => (c.changed ?? 0) > 0).map(([host]) => host).sort();
