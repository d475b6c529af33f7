// The Ansible roles derive every tunnel.conf and each collector's tunnels.conf from the inventory: rendered here by a
// real ansible-playbook (connection local, the roles' own defaults, vars and templates) and parsed by ux-tunnel's own
// parsers. The kernel lab's ansible test runs the whole roles over SSH; this one covers the variants it does not:
// NAT, an explicit tunnel ID, UDP, a cookie, a budget, a web server being removed. ansible-lint checks the collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { parseTunnelConf } from '../../src/config/tunnel.js';
import { parseTunnelsConf } from '../../src/config/tunnels.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const ROLES = resolve(import.meta.dirname, '..', '..', '..', 'ansible', 'roles');
const COOKIE = '0123456789abcdef';

const inventory = {
  ux_tunnel_collectors: { hosts: { coll1: { ux_tunnel_receiving_ip: '10.10.10.10' }, coll2: { ux_tunnel_receiving_ip: '10.10.20.10' } } },
  ux_tunnel_web_servers: {
    vars: { ux_tunnel_mirror_if: 'ens3', ux_tunnel_ports: ['i80', 'i443'] },
    hosts: {
      web1: { ux_tunnel_collector: 'coll1', ux_tunnel_transmit_ip: '10.10.10.11' },
      web2: { ux_tunnel_collector: 'coll1', ux_tunnel_transmit_ip: '10.10.10.12', ux_tunnel_udp_port: 1702, ux_tunnel_cookie: COOKIE, ux_tunnel_budget_mbit: 200 },
      web3: { ux_tunnel_collector: 'coll2', ux_tunnel_transmit_ip: '192.168.1.20', ux_tunnel_nat_ip: '203.0.113.7' },
      web4: { ux_tunnel_collector: 'coll1', ux_tunnel_transmit_ip: '10.10.10.14', ux_tunnel_state: 'absent' },
      web5: { ux_tunnel_collector: 'coll2', ux_tunnel_transmit_ip: '10.10.20.15', ux_tunnel_tunnel_id: '77', ux_tunnel_ports: 'all' },
    },
  },
};

/**
 * A role that renders the real role's template with its defaults and vars (symlinked), into OUT/HOST.conf; first, as
 * the receive role's conf.yml does, it reads the file there now when ux_tunnel_receive_keep_leaving is set.
 */
async function renderRole(roles: string, side: 'transmit' | 'receive', template: string, out: string): Promise<void> {
  const role = join(roles, `render_${side}`);
  await mkdir(join(role, 'tasks'), { recursive: true });
  for (const part of ['defaults', 'vars', 'templates']) await symlink(join(ROLES, side, part), join(role, part));
  const dest = `${out}/{{ inventory_hostname }}.conf`;
  await writeFile(join(role, 'tasks', 'main.yml'), [
    ...(side === 'receive' ? [`- name: Read\n  ansible.builtin.slurp:\n    src: "${dest}"\n  register: ux_tunnel_receive_current\n  failed_when: false\n  when: ux_tunnel_receive_keep_leaving`] : []),
    `- name: Render\n  ansible.builtin.template:\n    src: ${template}\n    dest: "${dest}"\n    mode: "0600"\n`,
  ].join('\n'));
}

/** ansible-playbook with `plays` (connection local) against the inventory above. */
async function renderPlays(dir: string, plays: unknown[]): Promise<void> {
  await writeFile(join(dir, 'inventory.yml'), JSON.stringify(inventory));
  await writeFile(join(dir, 'site.yml'), JSON.stringify(plays));
  const run = await exec(['ansible-playbook', '-i', join(dir, 'inventory.yml'), join(dir, 'site.yml')], {
    env: { ...process.env, ANSIBLE_ROLES_PATH: join(dir, 'roles'), ANSIBLE_HOME: join(dir, 'home'), ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
    timeoutMs: 300_000,
  });
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
}

const confLines = async (out: string, host: string) => (await readFile(join(out, `${host}.conf`), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));

test('the roles write each web server\'s tunnel.conf and each collector\'s tunnels.conf from the inventory alone', async (t) => {
  const dir = await scratchDir(t, 'uxt-ansible-roles-');
  const out = join(dir, 'out');
  await mkdir(out);
  await renderRole(join(dir, 'roles'), 'transmit', 'tunnel.conf.j2', out);
  await renderRole(join(dir, 'roles'), 'receive', 'tunnels.conf.j2', out);
  await renderPlays(dir, [
    { name: 'collectors', hosts: 'ux_tunnel_collectors', connection: 'local', gather_facts: false, roles: ['render_receive'] },
    { name: 'web servers', hosts: 'ux_tunnel_web_servers:!web4', connection: 'local', gather_facts: false, roles: ['render_transmit'] },
  ]);
  const lines = (host: string) => confLines(out, host);

  // Collectors: a line per web server of theirs, sorted by name; web4 (absent) gone; NAT: the NAT address with the
  // web server's own address as the ID; UDP port and cookie on both sides.
  assert.deepEqual(await lines('coll1'), ['10.10.10.10 10.10.10.11 - -', `10.10.10.10 10.10.10.12 - - udp=1702 cookie=${COOKIE}`]);
  assert.deepEqual(await lines('coll2'), ['10.10.20.10 203.0.113.7 - 192.168.1.20', '10.10.20.10 10.10.20.15 - 77']);
  // Web servers: the collector's address, their own, the mirror interface and ports; ID and options after them.
  assert.deepEqual(await lines('web1'), ['10.10.10.10 10.10.10.11 ens3 i80,i443']);
  assert.deepEqual(await lines('web2'), [`10.10.10.10 10.10.10.12 ens3 i80,i443 budget-mbit=200 udp=1702 cookie=${COOKIE}`]);
  assert.deepEqual(await lines('web3'), ['10.10.20.10 192.168.1.20 ens3 i80,i443']);
  assert.deepEqual(await lines('web5'), ['10.10.20.10 10.10.20.15 ens3 all 77']);

  // What the roles write is what ux-tunnel reads: both sides of each tunnel agree on its ID, port and cookie.
  const collectors = new Map((['coll1', 'coll2'] as const).map((c) => [c, parseTunnelsConf(c, '')]));
  for (const c of collectors.keys()) collectors.set(c, parseTunnelsConf(c, (await readFile(join(out, `${c}.conf`), 'utf8'))));
  for (const web of ['web1', 'web2', 'web3', 'web5'] as const) {
    const conf = parseTunnelConf(web, await readFile(join(out, `${web}.conf`), 'utf8'));
    const collector = collectors.get(inventory.ux_tunnel_web_servers.hosts[web].ux_tunnel_collector as 'coll1' | 'coll2')!;
    const line = collector.tunnels.find((tunnel) => tunnel.tunnelId === conf.tunnelId);
    assert.ok(line, `${web}'s tunnel ID ${conf.tunnelId} is on its collector's line`);
    assert.deepEqual([line.receivingIp, line.udpPort, line.cookie], [conf.receivingIp, conf.udpPort, conf.cookie], `${web}: both lines agree`);
  }
});

test('a collector keeps the lines of web servers leaving it (moved, or absent) until prune writes the inventory\'s lines alone', async (t) => {
  const dir = await scratchDir(t, 'uxt-ansible-leaving-');
  const out = join(dir, 'out');
  await mkdir(out);
  await renderRole(join(dir, 'roles'), 'receive', 'tunnels.conf.j2', out);
  // coll1 as an earlier run left it: web1, web4 (now absent) and a web server since moved to another collector
  // (with a cookie); coll2 has no file yet.
  const moved = `10.10.10.10 10.10.10.99 - - cookie=${COOKIE}`;
  await writeFile(join(out, 'coll1.conf'), `# web1\n10.10.10.10 10.10.10.11 - -\n# web4\n10.10.10.10 10.10.10.14 - -\n# web9\n${moved}\n`);
  const play = (keep: boolean) => ({ name: 'collectors', hosts: 'ux_tunnel_collectors', connection: 'local', gather_facts: false, roles: [{ role: 'render_receive', vars: { ux_tunnel_receive_keep_leaving: keep } }] });
  await renderPlays(dir, [play(true)]);
  const web1 = '10.10.10.10 10.10.10.11 - -';
  const web2 = `10.10.10.10 10.10.10.12 - - udp=1702 cookie=${COOKIE}`;
  assert.deepEqual(await confLines(out, 'coll1'), [web1, web2, '10.10.10.10 10.10.10.14 - -', moved], 'the first play: the inventory\'s lines, and the leaving ones as they were');
  assert.deepEqual(await confLines(out, 'coll2'), ['10.10.20.10 203.0.113.7 - 192.168.1.20', '10.10.20.10 10.10.20.15 - 77'], 'a collector without a file keeps nothing');
  const kept = await readFile(join(out, 'coll1.conf'), 'utf8');
  await renderPlays(dir, [play(true)]);
  assert.equal(await readFile(join(out, 'coll1.conf'), 'utf8'), kept, 'run again before the web servers moved: the same file (no change)');
  await renderPlays(dir, [play(false)]);
  assert.deepEqual(await confLines(out, 'coll1'), [web1, web2], 'prune: the inventory\'s lines alone');
  assert.equal(parseTunnelsConf('coll1', kept).tunnels.length, 4, 'the kept file is one ux-tunnel reads');
});

test('ansible-lint passes the collection with the production profile', async (t) => {
  const dir = await scratchDir(t, 'uxt-ansible-lint-');
  const collection = resolve(ROLES, '..');
  // The playbooks name the roles by their collection: found as an installed collection is (a link to ansible/).
  await mkdir(join(dir, 'ansible_collections', 'ux_tunnel'), { recursive: true });
  await symlink(collection, join(dir, 'ansible_collections', 'ux_tunnel', 'fleet'));
  const lint = await exec(['ansible-lint', '--offline', '--profile', 'production', '--nocolor', '--project-dir', collection, collection], {
    env: { ...process.env, ANSIBLE_COLLECTIONS_PATH: dir, ANSIBLE_HOME: join(dir, 'home') }, timeoutMs: 600_000,
  });
  assert.equal(lint.code, 0, `${lint.stdout}\n${lint.stderr}`);
  assert.match(`${lint.stdout}${lint.stderr}`, /Passed with production profile/);
});

test('every variable a role uses is a default, a derived var, an argument, registered or set by a task, or a web server\'s', async () => {
  const { readdir } = await import('node:fs/promises');
  const webServerVars = ['ux_tunnel_collector', 'ux_tunnel_transmit_ip', 'ux_tunnel_nat_ip', 'ux_tunnel_tunnel_id', 'ux_tunnel_udp_port', 'ux_tunnel_cookie'];
  for (const side of ['transmit', 'receive']) {
    const read = async (part: string) => {
      const files = await readdir(join(ROLES, side, part)).catch(() => [] as string[]);
      return (await Promise.all(files.map((f) => readFile(join(ROLES, side, part, f), 'utf8')))).join('\n');
    };
    const [tasks = "", handlers = "", templates = "", vars = "", defaults = "", meta = ""] = await Promise.all(['tasks', 'handlers', 'templates', 'vars', 'defaults', 'meta'].map(read));
    const used = new Set([...`${tasks}${handlers}${templates}${vars}`.matchAll(/\bux_tunnel_[a-z_]+/g)].map((m) => m[0]));
    const known = new Set([
      ...[...`${defaults}\n${vars}`.matchAll(/^(ux_tunnel_[a-z_]+):/gm)].map((m) => m[1]!),
      ...[...`${tasks}${handlers}`.matchAll(/(?:register:\s+|^\s{4})(ux_tunnel_[a-z_]+)(?::|$)/gm)].map((m) => m[1]!),
      ...[...meta.matchAll(/^\s{6}(ux_tunnel_[a-z_]+):/gm)].map((m) => m[1]!),
      ...(side === 'receive' ? webServerVars : []),
    ]);
    assert.deepEqual([...used].filter((name) => !known.has(name)), [], `${side}: variables used but never defined`);
  }
});
