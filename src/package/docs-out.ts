// Writes the packages' documentation files: the man pages (uncompressed; the package builder gzips them with
// `gzip -9n`) and the bash completions. Runnable on its own so a developer can read the pages with `man -l`:
//   node dist/src/package/docs-out.js OUTDIR [VERSION]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECEIVE_HELP } from '../cli/receive/commands.js';
import { TRANSMIT_HELP } from '../cli/transmit/commands.js';
import { bashCompletion } from './completion.js';
import { buildManPages } from './man.js';

/** OUTDIR/man/man{5,8}/NAME.SECTION and OUTDIR/bash-completion/PROGRAM. */
export function writeDocs(root: string, outDir: string, version: string, date: string): void {
  for (const page of buildManPages(root, version, date)) {
    const dir = join(outDir, 'man', `man${page.section}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${page.name}.${page.section}`), page.text);
  }
  const completions = join(outDir, 'bash-completion');
  mkdirSync(completions, { recursive: true });
  for (const help of [TRANSMIT_HELP, RECEIVE_HELP]) writeFileSync(join(completions, help.program), bashCompletion(help));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, versionArg] = process.argv.slice(2);
  if (!outDir) {
    process.stderr.write('usage: node dist/src/package/docs-out.js OUTDIR [VERSION]\n');
    process.exit(2);
  }
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const version = versionArg ?? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  // SOURCE_DATE_EPOCH (reproducible builds) when set, so the same tree gives byte-identical pages.
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const date = (Number.isFinite(epoch) && process.env.SOURCE_DATE_EPOCH ? new Date(epoch * 1000) : new Date()).toISOString().slice(0, 10);
  writeDocs(root, outDir, version, date);
  process.stdout.write(`wrote ${outDir}/man and ${outDir}/bash-completion (read a page with: man -l ${outDir}/man/man8/ux-tunnel-transmit.8)\n`);
}
