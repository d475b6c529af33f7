// The packages' dependencies: what the runtime binary needs (from its ELF headers, elf.ts) in each format's package
// names, plus the system tools each side runs. A library nobody mapped fails the build, so a new runtime that needs
// something new cannot ship with dependencies that are silently incomplete.
import type { ElfNeeds } from './elf.js';
import type { Side } from '../config/paths.js';

export interface Dependencies {
  readonly requires: readonly string[];
  readonly recommends: readonly string[];
}

const GLIBC_LIBRARIES = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$/;

/** GLIBCXX symbol version -> the GCC release whose libstdc++ first has it (Debian's libstdc++6 carries GCC's version). */
const GLIBCXX_GCC: Record<string, string> = {
  '3.4.19': '4.8', '3.4.20': '4.9', '3.4.21': '5', '3.4.22': '6', '3.4.23': '7', '3.4.24': '8', '3.4.25': '8',
  '3.4.26': '9', '3.4.27': '10', '3.4.28': '10', '3.4.29': '11', '3.4.30': '12', '3.4.31': '13', '3.4.32': '14',
};

function runtimeDependencies(needs: ElfNeeds, format: 'deb' | 'rpm'): string[] {
  const found = new Set<string>();
  for (const library of needs.libraries) {
    if (GLIBC_LIBRARIES.test(library)) {
      if (!needs.glibc) throw new Error(`the runtime links ${library} but uses no versioned glibc symbol: cannot state the glibc it needs`);
      found.add(format === 'deb' ? `libc6 (>= ${needs.glibc})` : `glibc >= ${needs.glibc}`);
    } else if (library === 'libstdc++.so.6') {
      const gcc = needs.glibcxx ? GLIBCXX_GCC[needs.glibcxx] : undefined;
      if (format === 'deb' && !gcc) throw new Error(`the runtime needs GLIBCXX_${needs.glibcxx ?? '?'}: add its GCC release to GLIBCXX_GCC in src/package/deps.ts`);
      // rpm: by soname and symbol version, as rpm's own dependency generator would write them (every supported CPU is 64-bit).
      found.add(format === 'deb' ? `libstdc++6 (>= ${gcc})` : `libstdc++.so.6(GLIBCXX_${needs.glibcxx ?? '3.4'})(64bit)`);
    } else if (library === 'libgcc_s.so.1') {
      found.add(format === 'deb' ? 'libgcc-s1 | libgcc1' : 'libgcc_s.so.1()(64bit)');
    } else if (library === 'libatomic.so.1') {
      found.add(format === 'deb' ? 'libatomic1' : 'libatomic.so.1()(64bit)');
    } else {
      throw new Error(`the runtime needs ${library}, which src/package/deps.ts maps to no package: add it`);
    }
  }
  return [...found];
}

/**
 * iproute2 (ip, tc), kmod (modprobe); on the receive side tcpdump (the monitor) and nftables (source pinning, on by
 * default); on the transmit side nftables only counts, so it is recommended. wireguard-tools (wg) only for encrypted
 * tunnels, an option: recommended on both.
 */
export function packageDependencies(side: Side, needs: ElfNeeds, format: 'deb' | 'rpm'): Dependencies {
  const tools = format === 'deb' ? ['iproute2', 'kmod'] : ['iproute', 'iproute-tc', 'kmod'];
  if (side === 'receive') tools.push('tcpdump', 'nftables');
  const recommends = side === 'receive' ? ['wireguard-tools'] : ['tcpdump', 'nftables', 'wireguard-tools'];
  return { requires: [...runtimeDependencies(needs, format), ...tools], recommends };
}
