// npm test: runs the unit tier on this host, the kernel tier where L2TP exists (here, or in the lab VM), and the
// systemd tier in the systemd lab (lab/run --systemd: systemd as PID 1).
//
//   node dist/test/run-tiers.js [--unit | --kernel | --systemd] [FILE...]
//
// Prints node's spec output for each tier, then one summary; exits non-zero on any failure. A skipped kernel test
// counts as a failure: the kernel tests exist to run against a real kernel, never to be passed over.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist');

// The summary lines of node's TAP reporter ("# pass 3"), by name.
const COUNT_NAMES = ['pass', 'fail', 'skipped', 'todo', 'cancelled'] as const;
type Counts = Record<(typeof COUNT_NAMES)[number], number>;
const noCounts = (): Counts => Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as Counts;

function findTests(dir: string, recursive: boolean): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (recursive) found.push(...findTests(path, true));
    } else if (entry.endsWith('.test.js')) found.push(path);
  }
  return found;
}

/** Where kernel tests run: UX_TUNNEL_KERNEL=host|lab forces it; otherwise the host when its kernel has L2TP. */
function kernelPlace(): 'host' | 'lab' {
  const forced = process.env.UX_TUNNEL_KERNEL;
  if (forced === 'host' || forced === 'lab') return forced;
  if (process.env.UX_TUNNEL_IN_LAB) return 'host';
  const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const hasL2tp = existsSync('/sys/module/l2tp_eth') || existsSync(`/lib/modules/${release}/kernel/net/l2tp/l2tp_eth.ko`)
    || existsSync(`/lib/modules/${release}/kernel/net/l2tp/l2tp_eth.ko.xz`) || existsSync(`/lib/modules/${release}/kernel/net/l2tp/l2tp_eth.ko.zst`);
  return hasL2tp ? 'host' : 'lab';
}

function run(argv: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
    child.on('close', (code) => resolvePromise(code ?? 1));
  });
}

function nodeTestArgv(files: string[], tapFile: string, serial: boolean): string[] {
  return [
    process.execPath, '--test', '--enable-source-maps',
    ...(serial ? ['--test-concurrency=1'] : []),
    '--test-timeout=900000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files.map((f) => relative(ROOT, f)),
  ];
}

function readCounts(tapFile: string): Counts | null {
  if (!existsSync(tapFile)) return null;
  const counts = noCounts();
  let seen = false;
  for (const line of readFileSync(tapFile, 'utf8').split('\n')) {
    const match = /^# (pass|fail|skipped|todo|cancelled) (\d+)$/.exec(line);
    if (match) {
      counts[match[1] as keyof Counts] = Number(match[2]);
      seen = true;
    }
  }
  return seen ? counts : null;
}

/**
 * One tier's run: on this host, in the kernel lab, or in the systemd lab. In the systemd lab, `afterReboot` files run
 * in a second boot from the disk the first boot left (lab/run --persist: the job directory is the disk).
 */
async function runTier(name: string, files: string[], place: 'host' | 'lab' | 'systemd-lab', afterReboot: string[] = []): Promise<Counts> {
  const total = noCounts();
  if (files.length === 0 && afterReboot.length === 0) return total;
  const jobDir = mkdtempSync(join(tmpdir(), `ux-tunnel-${name}-`));
  const boots = ([[name, files], [`${name}-after-reboot`, afterReboot]] as Array<[string, string[]]>).filter(([, f]) => f.length > 0);
  for (const [label, bootFiles] of boots) {
    const tapFile = join(jobDir, `${label}.tap`);
    console.log(`\n=== ${label} tests: ${bootFiles.length} file(s) ${place === 'lab' ? 'in the kernel lab VM' : place === 'systemd-lab' ? 'in the systemd lab VM (systemd as PID 1)' : 'on this host'} ===`);
    const started = Date.now();
    const argv = nodeTestArgv(bootFiles, tapFile, name !== 'unit');
    const lab = [join(ROOT, 'lab', 'run'), '--timeout', '3600', '--job-dir', jobDir, ...(place === 'systemd-lab' ? ['--systemd', '--persist'] : []), '--'];
    const code = await run(place === 'host' ? argv : [...lab, ...argv]);
    const counts = readCounts(tapFile);
    console.log(`=== ${label} tests took ${((Date.now() - started) / 1000).toFixed(1)}s ===`);
    if (!counts) {
      console.log(`${label} tests: the runner exited ${code} without a result (see the output above)`);
      total.fail += 1;
      continue;
    }
    if (code !== 0 && counts.fail === 0 && counts.cancelled === 0) counts.fail = 1;
    for (const key of Object.keys(total) as Array<keyof Counts>) total[key] += counts[key];
  }
  rmSync(jobDir, { recursive: true, force: true });
  return total;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--unit') ? 'unit' : args.includes('--kernel') ? 'kernel' : args.includes('--systemd') ? 'systemd' : null;
  const chosen = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
  const kernelDir = join(DIST, 'test', 'kernel');
  let unit = [...findTests(join(DIST, 'src'), true), ...findTests(join(DIST, 'test', 'host'), true)];
  let kernel = findTests(kernelDir, false);
  // The systemd lab's tests: always in the lab, which boots with systemd as PID 1 for them.
  let systemd = findTests(join(DIST, 'test', 'systemd'), false);
  let afterReboot = findTests(join(DIST, 'test', 'systemd', 'after-reboot'), false);
  if (chosen.length > 0) {
    const pick = (files: string[]) => files.filter((f) => chosen.some((c) => f === c || f.startsWith(c + '/') || f.replace(/\.js$/, '.ts').endsWith(c.replace(/^.*?(src|test)\//, '$1/'))));
    unit = pick(unit);
    kernel = pick(kernel);
    systemd = pick(systemd);
    afterReboot = pick(afterReboot);
    // The second boot's tests need the first boot's half (the same file name one level up).
    for (const file of afterReboot) {
      const first = join(DIST, 'test', 'systemd', basename(file));
      if (!systemd.includes(first)) systemd.push(first);
    }
  }
  if (only !== null && only !== 'unit') unit = [];
  if (only !== null && only !== 'kernel') kernel = [];
  if (only !== null && only !== 'systemd') systemd = afterReboot = [];

  const place = kernelPlace();
  const results: Array<[string, Counts]> = [];
  results.push(['unit', await runTier('unit', unit, 'host')]);
  results.push(['kernel', await runTier('kernel', kernel, place)]);
  results.push(['systemd', await runTier('systemd', systemd, 'systemd-lab', afterReboot)]);

  console.log('');
  let failed = false;
  for (const [name, c] of results) {
    console.log(`${name}: ${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped${c.cancelled ? `, ${c.cancelled} cancelled` : ''}${name === 'kernel' && kernel.length ? ` (${place === 'lab' ? 'in the lab VM' : 'on this host'})` : ''}`);
    if (c.fail > 0 || c.cancelled > 0) failed = true;
    if (name !== 'unit' && (c.skipped > 0 || c.todo > 0)) {
      console.log(`${name}: a ${name} test was skipped; they must run, so this counts as a failure`);
      failed = true;
    }
  }
  const pass = results.reduce((n, [, c]) => n + c.pass, 0);
  const fail = results.reduce((n, [, c]) => n + c.fail + c.cancelled, 0) + (failed && results.every(([, c]) => c.fail + c.cancelled === 0) ? 1 : 0);
  console.log(`total: ${pass} passed, ${fail} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
