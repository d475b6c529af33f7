// The eight packages npm test builds (as npm run package does) into dist/packages: names, metadata, layout, the
// runtime's CPU in each, lintian and rpmlint, and rpm refusing an Oracle Linux 7 system at install time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exec, execOrThrow } from '../../src/kernel/exec.js';
import { VERSION } from '../kernel/lib/packages.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const SIDES = ['transmit', 'receive'] as const;
const ARCHES = [{ deb: 'amd64', rpm: 'x86_64', elf: 'X86-64' }, { deb: 'arm64', rpm: 'aarch64', elf: 'AArch64' }] as const;
const packages = (name: string) => join(ROOT, 'dist', 'packages', name);
const sh = (script: string) => execOrThrow(['sh', '-c', script]);

test('npm run package made the .deb and .rpm of both sides for x86_64 and aarch64', () => {
  for (const side of SIDES) {
    for (const arch of ARCHES) {
      for (const name of [`ux-tunnel-${side}_${VERSION}-1_${arch.deb}.deb`, `ux-tunnel-${side}-${VERSION}-1.${arch.rpm}.rpm`]) {
        assert.ok(existsSync(packages(name)), `${packages(name)} is missing: npm test builds the packages (npm run package)`);
      }
    }
  }
});

test('.deb metadata and layout: the guide\'s paths, conffiles, dependencies from the runtime, the runtime of its CPU', async () => {
  for (const side of SIDES) {
    for (const arch of ARCHES) {
      const deb = packages(`ux-tunnel-${side}_${VERSION}-1_${arch.deb}.deb`);
      const field = async (name: string) => (await execOrThrow(['dpkg-deb', '-f', deb, name])).stdout.trim();
      assert.equal(await field('Architecture'), arch.deb);
      const depends = await field('Depends');
      for (const needed of ['libc6 (>= 2.28)', 'libstdc++6', 'iproute2', 'kmod', ...(side === 'receive' ? ['tcpdump'] : [])]) {
        assert.ok(depends.includes(needed), `${deb}: Depends ${depends} lacks ${needed}`);
      }
      const listing = (await execOrThrow(['dpkg-deb', '-c', deb])).stdout;
      for (const entry of [`./opt/ruei/tunnel/${side}/ux-tunnel-${side} -> /usr/bin/ux-tunnel-${side}`, `./opt/ruei/tunnel/${side}/conf -> /etc/ux-tunnel/${side}`,
        `./usr/lib/systemd/system/ux-tunnel-${side}.service`, `./usr/share/man/man8/ux-tunnel-${side}.8.gz`,
        `./usr/share/man/man5/${side === 'transmit' ? 'tunnel' : 'tunnels'}.conf.5.gz`, `./usr/share/bash-completion/completions/ux-tunnel-${side}`]) {
        assert.ok(listing.includes(entry), `${deb} lacks ${entry}`);
      }
      const conffiles = (await sh(`dpkg-deb --ctrl-tarfile '${deb}' | tar -xOf - ./conffiles`)).stdout.trim().split('\n');
      assert.deepEqual(conffiles, side === 'transmit' ? ['/etc/ux-tunnel/transmit/tunnel.conf.example'] : ['/etc/default/ux-tunnel-receive-monitor', '/etc/ux-tunnel/receive/tunnels.conf']);
      const header = (await sh(`dpkg-deb --fsys-tarfile '${deb}' | tar -xOf - ./usr/lib/ux-tunnel/${side}/node | head -c 64 > /tmp/uxt-elf-$$ && readelf -h /tmp/uxt-elf-$$ 2>/dev/null; rm -f /tmp/uxt-elf-$$`)).stdout;
      assert.match(header, new RegExp(`Machine:\\s+.*${arch.elf}`), `${deb}: the runtime is for ${arch.elf}`);
    }
  }
});

test('.rpm metadata: requires from the runtime, %config(noreplace), the scriptlets call the package hook', async () => {
  for (const side of SIDES) {
    for (const arch of ARCHES) {
      const rpm = packages(`ux-tunnel-${side}-${VERSION}-1.${arch.rpm}.rpm`);
      const query = async (...args: string[]) => (await execOrThrow(['rpm', '-qp', ...args, rpm])).stdout;
      assert.equal(await query('--qf', '%{NAME} %{VERSION} %{RELEASE} %{ARCH}'), `ux-tunnel-${side} ${VERSION} 1 ${arch.rpm}`);
      const requires = await query('--requires');
      for (const needed of ['glibc >= 2.28', 'libstdc++.so.6(GLIBCXX_3.4.21)(64bit)', 'iproute', 'iproute-tc', 'kmod']) assert.ok(requires.includes(needed), `${rpm} lacks ${needed}`);
      assert.equal(requires.includes('tcpdump'), side === 'receive');
      assert.match(await query('--configfiles'), side === 'transmit' ? /^\/etc\/ux-tunnel\/transmit\/tunnel\.conf\.example$/m : /^\/etc\/ux-tunnel\/receive\/tunnels\.conf$/m);
      const scripts = await query('--scripts');
      assert.match(scripts, new RegExp(`/usr/lib/ux-tunnel/${side}/package-hook upgraded`));
      assert.match(scripts, new RegExp(`/usr/lib/ux-tunnel/${side}/package-hook removing`));
    }
  }
});

test('lintian (both .deb of x86_64) and rpmlint (every .rpm) find nothing beyond the overrides that say why', async () => {
  for (const side of SIDES) {
    const lintian = await exec(['lintian', '--allow-root', '--fail-on', 'error,warning', packages(`ux-tunnel-${side}_${VERSION}-1_amd64.deb`)]);
    assert.equal(lintian.code, 0, `lintian:\n${lintian.stdout}${lintian.stderr}`);
    assert.doesNotMatch(lintian.stdout, /^[EW]: /m);
  }
  const rpms = SIDES.flatMap((side) => ARCHES.map((arch) => packages(`ux-tunnel-${side}-${VERSION}-1.${arch.rpm}.rpm`)));
  const rpmlint = await exec(['rpmlint', '-c', join(ROOT, 'packaging', 'rpmlint.toml'), ...rpms]);
  assert.equal(rpmlint.code, 0, `rpmlint:\n${rpmlint.stdout}`);
  assert.match(rpmlint.stdout, /0 errors, 0 warnings/);
});

/** A one-package rpm providing what a system has, built into `dir`. */
async function systemRpm(dir: string, name: string, version: string, provides: readonly string[]): Promise<string> {
  const top = join(dir, `build-${name}-${version}`);
  mkdirSync(top, { recursive: true });
  const spec = join(top, 'system.spec');
  writeFileSync(spec, `Name: ${name}\nVersion: ${version}\nRelease: 1\nSummary: Test stand-in\nLicense: MIT\nBuildArch: x86_64\n` +
    `${provides.map((p) => `Provides: ${p}`).join('\n')}\n%description\nStands in for a system's packages.\n%files\n`);
  await execOrThrow(['rpmbuild', '-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_build_name_fmt system.rpm', spec]);
  return join(top, 'RPMS', 'system.rpm');
}

test('rpm refuses Oracle Linux 7 at install time naming glibc 2.28, and accepts a system that has what the runtime needs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uxt-rpmdeps-'));
  try {
    const tools = ['/bin/sh', 'iproute', 'iproute-tc', 'kmod', 'tcpdump', 'nftables', 'libgcc_s.so.1()(64bit)'];
    const systems = {
      el7: await systemRpm(dir, 'glibc', '2.17', [...tools, 'libstdc++.so.6(GLIBCXX_3.4.19)(64bit)']),
      el8: await systemRpm(dir, 'glibc', '2.28', [...tools, 'libstdc++.so.6(GLIBCXX_3.4.21)(64bit)', 'libstdc++.so.6(GLIBCXX_3.4.19)(64bit)']),
    };
    for (const [system, stand] of Object.entries(systems)) {
      const root = join(dir, system);
      const rpm = (...args: string[]) => exec(['rpm', '--force-debian', '--root', root, '--dbpath', '/var/lib/rpm', ...args]);
      assert.equal((await exec(['rpmdb', '--root', root, '--dbpath', '/var/lib/rpm', '--initdb'])).code, 0);
      assert.equal((await rpm('-i', '--justdb', '--nodeps', stand)).code, 0);
      const attempt = await rpm('-i', '--test', packages(`ux-tunnel-receive-${VERSION}-1.x86_64.rpm`));
      if (system === 'el7') {
        assert.notEqual(attempt.code, 0);
        assert.match(attempt.stderr, /glibc >= 2\.28 is needed by ux-tunnel-receive/);
        assert.match(attempt.stderr, /libstdc\+\+\.so\.6\(GLIBCXX_3\.4\.21\)\(64bit\) is needed by ux-tunnel-receive/);
      } else assert.equal(attempt.code, 0, `a system with glibc 2.28 accepts it: ${attempt.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the launcher and the package hook are valid sh', () => {
  for (const file of ['launcher.sh', 'package-hook.sh']) {
    const check = spawnSync('sh', ['-n', join(ROOT, 'packaging', 'files', file)], { encoding: 'utf8' });
    assert.equal(check.status, 0, `${file}: ${check.stderr}`);
  }
});
