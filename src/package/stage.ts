// The file tree one package installs, staged under a directory exactly as it lands on the server. Both formats are
// built from the same tree, so a .deb and an .rpm of one version install the same files.
//
//   /usr/bin/ux-tunnel-SIDE                      launcher (packaging/files/launcher.sh): the packaged runtime, NODE_* dropped
//   /usr/lib/ux-tunnel/SIDE/node                 the pinned Node.js LTS runtime for the package's CPU (runtime.ts)
//   /usr/lib/ux-tunnel/SIDE/app/                 the compiled commands (dist/src without tests)
//   /usr/lib/ux-tunnel/SIDE/package-hook         what install, upgrade and removal do (packaging/files/package-hook.sh)
//   /opt/ruei/tunnel/SIDE/ux-tunnel-SIDE         -> /usr/bin/ux-tunnel-SIDE (the vendor guide's ./ux-tunnel-SIDE)
//   /opt/ruei/tunnel/SIDE/conf                   -> /etc/ux-tunnel/SIDE (the guide's conf/, kept where configuration belongs)
//   /etc/ux-tunnel/SIDE/                         tunnel.conf.example | tunnels.conf (configuration files upgrades keep)
//   /usr/lib/systemd/system/ux-tunnel-SIDE*.service, man pages, bash completion, /usr/share/doc/ux-tunnel-SIDE/
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Side } from '../config/paths.js';
import { debChangelog } from './description.js';

export interface StageInput {
  readonly root: string;
  readonly side: Side;
  readonly version: string;
  /** Directory holding bin/node and LICENSE of the runtime for this package's CPU. */
  readonly runtimeDir: string;
  /** Output of writeDocs (docs-out.ts): man/man5, man/man8, bash-completion/. */
  readonly docsDir: string;
  readonly gzip: (file: string) => Promise<void>;
  readonly release: string;
  /** The build date, for the changelogs. */
  readonly date: Date;
}

export interface StagedFile {
  /** Absolute path on the target, e.g. /etc/ux-tunnel/receive/tunnels.conf. */
  readonly path: string;
  readonly kind: 'file' | 'dir' | 'link';
  readonly config: boolean;
}

const IS_PAYLOAD = (name: string) => name.endsWith('.js') && !name.endsWith('.test.js');
/** Test support that package.json's "files" also leaves out. */
const NOT_SHIPPED = /^(package|test)$|^(test-frames|fake-runner)\.js$/;

function copyCompiled(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (NOT_SHIPPED.test(entry.name)) continue;
    if (entry.isDirectory()) copyCompiled(join(from, entry.name), join(to, entry.name));
    else if (IS_PAYLOAD(entry.name)) {
      mkdirSync(to, { recursive: true });
      copyFileSync(join(from, entry.name), join(to, entry.name));
    }
  }
}

const template = (text: string, input: StageInput) => text.replaceAll('@SIDE@', input.side).replaceAll('@VERSION@', input.version);

export const configFiles = (side: Side): string[] => side === 'transmit'
  ? ['/etc/ux-tunnel/transmit/tunnel.conf.example']
  : ['/etc/ux-tunnel/receive/tunnels.conf', '/etc/default/ux-tunnel-receive-monitor'];

/** Stages the side's tree under `stage` (emptied first). */
export async function stagePackage(input: StageInput, stage: string): Promise<void> {
  const { root, side } = input;
  rmSync(stage, { recursive: true, force: true });
  const at = (path: string) => join(stage, path);
  const put = (path: string, content: string | Buffer, mode = 0o644) => {
    mkdirSync(dirname(at(path)), { recursive: true });
    writeFileSync(at(path), content);
    chmodSync(at(path), mode);
  };
  const lib = `/usr/lib/ux-tunnel/${side}`;
  put(`/usr/bin/ux-tunnel-${side}`, template(readFileSync(join(root, 'packaging/files/launcher.sh'), 'utf8'), input), 0o755);
  put(`${lib}/package-hook`, template(readFileSync(join(root, 'packaging/files/package-hook.sh'), 'utf8'), input), 0o755);
  put(`${lib}/node`, readFileSync(join(input.runtimeDir, 'bin/node')), 0o755);
  copyCompiled(join(root, 'dist/src'), at(`${lib}/app/dist/src`));
  put(`${lib}/app/package.json`, `${JSON.stringify({ name: `ux-tunnel-${side}`, version: input.version, type: 'module', private: true }, null, 2)}\n`);

  const units = readdirSync(join(root, 'systemd')).filter((f) => f.startsWith(`ux-tunnel-${side}`));
  for (const unit of units) put(`/usr/lib/systemd/system/${unit}`, readFileSync(join(root, 'systemd', unit)));
  if (side === 'transmit') put('/etc/ux-tunnel/transmit/tunnel.conf.example', readFileSync(join(root, 'conf/tunnel.conf.example')));
  else {
    put('/etc/ux-tunnel/receive/tunnels.conf', readFileSync(join(root, 'conf/tunnels.conf')));
    put('/etc/default/ux-tunnel-receive-monitor', readFileSync(join(root, 'packaging/files/receive-monitor.default')));
  }
  mkdirSync(at(`/opt/ruei/tunnel/${side}`), { recursive: true });
  // Absolute links between top-level directories, as Debian policy 10.5 asks (rpmlint's wish for relative ones is
  // filtered in packaging/rpmlint.toml).
  symlinkSync(`/usr/bin/ux-tunnel-${side}`, at(`/opt/ruei/tunnel/${side}/ux-tunnel-${side}`));
  symlinkSync(`/etc/ux-tunnel/${side}`, at(`/opt/ruei/tunnel/${side}/conf`));

  const pages: Array<[string, string]> = side === 'transmit'
    ? [['man8', 'ux-tunnel-transmit.8'], ['man5', 'tunnel.conf.5']]
    : [['man8', 'ux-tunnel-receive.8'], ['man5', 'tunnels.conf.5']];
  for (const [section, page] of pages) {
    put(`/usr/share/man/${section}/${page}`, readFileSync(join(input.docsDir, 'man', section, page)));
    await input.gzip(at(`/usr/share/man/${section}/${page}`));
  }
  put(`/usr/share/bash-completion/completions/ux-tunnel-${side}`, readFileSync(join(input.docsDir, 'bash-completion', `ux-tunnel-${side}`)));
  const doc = `/usr/share/doc/ux-tunnel-${side}`;
  put(`${doc}/README.md`, readFileSync(join(root, 'README.md')));
  put(`${doc}/copyright`, copyright(readFileSync(join(input.runtimeDir, 'LICENSE'), 'utf8')));
  put(`${doc}/changelog.Debian`, debChangelog(side, input.version, input.release, input.date));
  await input.gzip(at(`${doc}/changelog.Debian`));
  put(`/usr/share/lintian/overrides/ux-tunnel-${side}`, lintianOverrides(template(readFileSync(join(root, 'packaging/files/lintian-overrides'), 'utf8'), input), side));
}

/** The overrides file of one package holds only its own lines (lintian refuses another package's: alien-tag). */
export function lintianOverrides(text: string, side: Side): string {
  return text.split('\n').filter((line) => !/^ux-tunnel-[a-z]+:/.test(line) || line.startsWith(`ux-tunnel-${side}:`)).join('\n');
}

/** Debian's machine-readable copyright format; the rpm ships the same file as its %license. */
function copyright(nodeLicense: string): string {
  const indent = (text: string) => text.trimEnd().split('\n').map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n');
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ux-tunnel

Files: *
Copyright: the ux-tunnel authors
License: MIT

Files: usr/lib/ux-tunnel/*/node
Copyright: Node.js contributors and the authors of its bundled components
License: Node.js
${indent(nodeLicense)}

License: MIT
${indent(MIT)}
`;
}

const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;

/** Every path of the staged tree (directories, files, symbolic links), as on the target. */
export function listStaged(stage: string, side: Side): StagedFile[] {
  const config = new Set(configFiles(side));
  const out: StagedFile[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(stage, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isSymbolicLink()) out.push({ path, kind: 'link', config: false });
      else if (entry.isDirectory()) {
        out.push({ path, kind: 'dir', config: false });
        walk(path);
      } else out.push({ path, kind: 'file', config: config.has(path) });
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
