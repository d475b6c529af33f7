// What a runtime binary needs from the system, read from its ELF headers with readelf (binutils reads every
// architecture, so the aarch64 runtime is inspected on an x86_64 build host): the shared libraries and the newest
// symbol versions of glibc and libstdc++. The packages' dependencies are derived from this, never typed by hand.
import { execOrThrow } from '../kernel/exec.js';

export interface ElfNeeds {
  readonly machine: string;
  readonly libraries: readonly string[];
  /** e.g. "2.28"; null when no versioned glibc symbol is used. */
  readonly glibc: string | null;
  readonly glibcxx: string | null;
}

const compareVersions = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
};

const newest = (text: string, prefix: string): string | null => {
  const versions = [...text.matchAll(new RegExp(`\\b${prefix}_([0-9]+(?:\\.[0-9]+)*)\\b`, 'g'))].map((m) => m[1]!);
  return versions.sort(compareVersions).at(-1) ?? null;
};

/** Parses `readelf -h -d -V --wide` output. */
export function parseElfNeeds(text: string): ElfNeeds {
  const machine = /^\s*Machine:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown';
  const libraries = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  return { machine, libraries, glibc: newest(text, 'GLIBC'), glibcxx: newest(text, 'GLIBCXX') };
}

export async function readElfNeeds(binary: string): Promise<ElfNeeds> {
  return parseElfNeeds((await execOrThrow(['readelf', '-h', '-d', '-V', '--wide', binary])).stdout);
}
