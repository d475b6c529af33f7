// npm test: runs the unit tier on this host, the kernel tier where L2TP exists (here, or in the lab VM), and the
// systemd tier in the systemd lab (lab/run --systemd: systemd as PID 1).
//
//   node dist/test/run-tiers.js [--unit | --kernel | --systemd] [FILE...]
//
// Prints node's spec output for each tier, then one summary; exits non-zero on any failure. A skipped kernel test
// counts as a failure: the kernel tests exist to run against a real kernel, never to be passed over.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { kernelFileSeconds, laneCount, laneCpus, planLanes, systemdFileSeconds, type LaneItem } from './lanes.js';

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

/** Runs argv; its output goes to this process's (live), or into `out` (printed whole when a lane's VM ends). */
function run(argv: string[], out?: string): Promise<number> {
  return new Promise((resolvePromise) => {
    const fd = out === undefined ? 'inherit' : openSync(out, 'a');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], cwd: ROOT });
    child.on('close', (code) => {
      if (typeof fd === 'number') closeSync(fd);
      resolvePromise(code ?? 1);
    });
  });
}

function nodeTestArgv(files: string[], tapFile: string, serial: boolean): string[] {
  return [
    process.execPath, '--test', '--enable-source-maps',
    ...(serial ? ['--test-concurrency=1'] : []),
    // A file's whole run, and each test's unless it says otherwise (the fleet Ansible test took 30 minutes on one
    // emulated CPU beside another VM); a lab VM is stopped at 90 minutes in any case.
    '--test-timeout=4800000',
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

type Place = 'host' | 'lab' | 'systemd-lab';

/**
 * One boot's (or the host's) run of `files`, its counts added to `total`. A lab boot's output is kept in a file of
 * `jobDir` while it runs (tail -f it to follow) and printed whole when it ends, so lanes side by side stay readable.
 */
async function runBoot(label: string, files: string[], place: Place, jobDir: string, total: Counts, cpus = 1, persist = false): Promise<void> {
  const tapFile = join(jobDir, `${label}.tap`);
  const where = place === 'lab' ? 'in a kernel lab VM' : place === 'systemd-lab' ? 'in the systemd lab VM (systemd as PID 1)' : 'on this host';
  const header = `\n=== ${label} tests: ${files.length} file(s) ${where} ===`;
  const started = Date.now();
  const argv = nodeTestArgv(files, tapFile, !label.startsWith('unit'));
  let code: number;
  if (place === 'host') {
    console.log(header);
    code = await run(argv);
  } else {
    const out = join(jobDir, `${label}.out`);
    console.log(`[lanes] ${label}: ${files.length} file(s) started ${where}; follow with: tail -f ${out}`);
    const lab = [join(ROOT, 'lab', 'run'), '--timeout', '5400', '--cpus', String(cpus), '--job-dir', jobDir, ...(place === 'systemd-lab' ? ['--systemd'] : []), ...(persist ? ['--persist'] : []), '--'];
    code = await run([...lab, ...argv], out);
    console.log(header);
    process.stdout.write(readFileSync(out, 'utf8'));
  }
  const counts = readCounts(tapFile);
  console.log(`=== ${label} tests took ${((Date.now() - started) / 1000).toFixed(1)}s ===`);
  if (!counts) {
    console.log(`${label} tests: the runner exited ${code} without a result (see the output above)`);
    total.fail += 1;
    return;
  }
  if (code !== 0 && counts.fail === 0 && counts.cancelled === 0) counts.fail = 1;
  for (const key of Object.keys(total) as Array<keyof Counts>) total[key] += counts[key];
}

/**
 * What a lane runs: kernel test files in one kernel lab VM, and systemd test files in a systemd lab VM (with their
 * halves in after-reboot/, which run in a second boot from the disk the first left). Each systemd file is an item of
 * its own, so the lanes can share them out (the tier in one lane took 46 minutes).
 */
type LabWork = { kind: 'kernel'; file: string } | { kind: 'systemd'; file: string; afterReboot: string[] };

/**
 * The kernel tier (in lab VMs, or on this host when its kernel has L2TP) and the systemd tier, lanes side by side
 * (test/lanes.ts). Returns each tier's counts.
 */
async function runLabTiers(kernel: string[], kernelPlace: 'host' | 'lab', systemd: string[], afterReboot: string[]): Promise<{ kernel: Counts; systemd: Counts }> {
  const totals = { kernel: noCounts(), systemd: noCounts() };
  const work: Array<LaneItem<LabWork>> = [];
  if (kernelPlace === 'host') {
    // Kernel tests on this host share its namespaces' names: one after the other, as before lanes.
    if (kernel.length > 0) await runTierDir('kernel', async (dir) => runBoot('kernel', kernel, 'host', dir, totals.kernel));
  } else {
    for (const file of kernel) work.push({ item: { kind: 'kernel', file }, seconds: kernelFileSeconds(file) });
  }
  const orphans = afterReboot.filter((a) => !systemd.some((file) => basename(file) === basename(a)));
  if (orphans.length > 0) throw new Error(`${orphans.join(', ')}: an after-reboot test needs its first half (the same file name in test/systemd)`);
  for (const file of systemd) {
    const after = afterReboot.filter((a) => basename(a) === basename(file));
    work.push({ item: { kind: 'systemd', file, afterReboot: after }, seconds: systemdFileSeconds(file) });
  }
  const lanes = planLanes(work, laneCount());
  const cpus = laneCpus(lanes.length);
  if (lanes.length > 1) console.log(`\n[lanes] ${lanes.length} lab VMs side by side, ${cpus} vCPU(s) each (UX_TUNNEL_LANES=1 runs them one after the other)`);
  await Promise.all(lanes.map((items, index) => runTierDir(`lane${index + 1}`, async (dir) => {
    const files = items.flatMap((w) => (w.kind === 'kernel' ? [w.file] : []));
    const suffix = lanes.length > 1 ? `-lane${index + 1}` : '';
    if (files.length > 0) await runBoot(`kernel${suffix}`, files, 'lab', dir, totals.kernel, cpus);
    // A lane's systemd files share one boot; their after-reboot halves run in a second one from its disk.
    const units = items.flatMap((w) => (w.kind === 'systemd' ? [w] : []));
    const later = units.flatMap((w) => w.afterReboot);
    if (units.length > 0) await runBoot(`systemd${suffix}`, units.map((w) => w.file), 'systemd-lab', dir, totals.systemd, cpus, later.length > 0);
    if (later.length > 0) await runBoot(`systemd-after-reboot${suffix}`, later, 'systemd-lab', dir, totals.systemd, cpus, true);
  })));
  return totals;
}

/** A fresh job directory for `fn`, removed afterwards. */
async function runTierDir(name: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const jobDir = mkdtempSync(join(tmpdir(), `ux-tunnel-${name}-`));
  await fn(jobDir);
  rmSync(jobDir, { recursive: true, force: true });
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
  const unitCounts = noCounts();
  if (unit.length > 0) await runTierDir('unit', (dir) => runBoot('unit', unit, 'host', dir, unitCounts));
  results.push(['unit', unitCounts]);
  const lab = await runLabTiers(kernel, place, systemd, afterReboot);
  results.push(['kernel', lab.kernel], ['systemd', lab.systemd]);

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
