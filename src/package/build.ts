// npm run package: the .deb and .rpm of both sides for x86_64 and aarch64 into dist/packages/, each carrying the
// pinned Node.js LTS runtime of its CPU (runtime.ts), so the server needs no Node.js of its own.
//
//   node dist/src/package/build.js [--out DIR] [--version V] [--release R] [--arch amd64,arm64] [--format deb,rpm] [--side transmit,receive]
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Side } from '../config/paths.js';
import { execOrThrow } from '../kernel/exec.js';
import { buildDeb } from './deb.js';
import { packageDependencies } from './deps.js';
import { writeDocs } from './docs-out.js';
import { readElfNeeds } from './elf.js';
import { buildRpm } from './rpm.js';
import { fetchRuntime, pinnedRuntime, type NpmCpu } from './runtime.js';
import { stagePackage } from './stage.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** One CPU in the names each world gives it, and the ELF machine its runtime must be built for. */
const CPUS = {
  amd64: { npm: 'x64' as NpmCpu, rpm: 'x86_64' as const, elf: 'Advanced Micro Devices X86-64' },
  arm64: { npm: 'arm64' as NpmCpu, rpm: 'aarch64' as const, elf: 'AArch64' },
};
type Cpu = keyof typeof CPUS;

export interface BuildOptions {
  readonly out: string;
  readonly version: string;
  readonly release: string;
  readonly cpus: readonly Cpu[];
  readonly formats: ReadonlyArray<'deb' | 'rpm'>;
  readonly sides: readonly Side[];
  readonly log: (line: string) => void;
}

export async function buildPackages(options: BuildOptions): Promise<string[]> {
  if (!/^[0-9][0-9A-Za-z.+~]*$/.test(options.version)) throw new Error(`version ${options.version}: digits, letters, . + ~ only (both formats accept it)`);
  if (!existsSync(join(ROOT, 'dist/src/cli/transmit/main.js'))) throw new Error('the TypeScript is not built: run npm run build first');
  const work = join(options.out, '.work');
  rmSync(work, { recursive: true, force: true });
  const docsDir = join(work, 'docs');
  const date = new Date();
  writeDocs(ROOT, docsDir, options.version, date.toISOString().slice(0, 10));
  const gzip = async (file: string) => void (await execOrThrow(['gzip', '-9n', file]));
  const lock = readFileSync(join(ROOT, 'packaging/runtime/package-lock.json'), 'utf8');
  const built: string[] = [];
  for (const cpu of options.cpus) {
    const names = CPUS[cpu];
    const pin = pinnedRuntime(lock, names.npm);
    const runtimeDir = await fetchRuntime(pin, join(ROOT, 'node_modules/.cache/ux-tunnel-runtime'));
    const needs = await readElfNeeds(join(runtimeDir, 'bin/node'));
    if (needs.machine !== names.elf) throw new Error(`${pin.name}@${pin.version} is built for ${needs.machine}, not ${names.elf}`);
    options.log(`runtime ${pin.name}@${pin.version}: glibc ${needs.glibc}, libraries ${needs.libraries.join(' ')}`);
    for (const side of options.sides) {
      const stage = join(work, `${side}-${cpu}`);
      await stagePackage({ root: ROOT, side, version: options.version, release: options.release, date, runtimeDir, docsDir, gzip }, stage);
      for (const format of options.formats) {
        const dependencies = packageDependencies(side, needs, format);
        const common = { stage, side, version: options.version, release: options.release, dependencies, outDir: options.out, date };
        const file = format === 'deb' ? await buildDeb({ ...common, arch: cpu }) : await buildRpm({ ...common, arch: names.rpm });
        options.log(`built ${file}`);
        built.push(file);
      }
      rmSync(stage, { recursive: true, force: true });
    }
  }
  rmSync(work, { recursive: true, force: true });
  return built;
}

function listFlag<T extends string>(args: string[], name: string, all: readonly T[]): T[] {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return [...all];
  const values = (args[at + 1] ?? '').split(',') as T[];
  const bad = values.filter((v) => !all.includes(v));
  if (bad.length > 0 || values.length === 0) throw new Error(`--${name}: ${bad.join(',') || 'nothing'} is not one of ${all.join(', ')}`);
  return values;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const value = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
  const projectVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const out = resolve(value('out') ?? join(ROOT, 'dist/packages'));
  mkdirSync(out, { recursive: true });
  try {
    const files = await buildPackages({
      out, version: value('version') ?? projectVersion, release: value('release') ?? '1',
      cpus: listFlag(args, 'arch', ['amd64', 'arm64'] as const), formats: listFlag(args, 'format', ['deb', 'rpm'] as const),
      sides: listFlag(args, 'side', ['transmit', 'receive'] as const), log: (line) => console.log(`[package] ${line}`),
    });
    console.log(`[package] ${files.length} packages in ${out}`);
  } catch (error) {
    console.error(`[package] error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
