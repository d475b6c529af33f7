// This host's WireGuard private key (encryption, transport/wireguard.ts): `keys` makes it, start and reload read it.
// It lives next to the config file as wireguard.key, root-only (0600), and is never printed: only its public key is,
// which goes on the other side's config line as wireguard=PUBLIC-KEY.
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkConfigFile } from '../config/file-safety.js';
import { KEY_FILE_NAME, newPrivateKey, publicKeyOf } from '../transport/wireguard.js';
import type { WgKey } from '../transport/wireguard.js';
import type { ParsedArgs } from './args.js';
import { UserError } from './main.js';
import { exec } from '../kernel/exec.js';

export const keyFileOf = (configFile: string): string => join(dirname(configFile), KEY_FILE_NAME);

/** An encrypted tunnel needs the wg command (wireguard-tools) to give the interface its key and peers. */
export async function requireWgTool(configFile: string): Promise<void> {
  if ((await exec(['wg', '--version'])).code === 127) {
    throw new UserError(`${configFile} asks for encryption (wireguard=), but the wg command is missing: install the wireguard-tools package; nothing was changed`, 4);
  }
}

/**
 * The key for an encrypted tunnel; a missing or unsafe key file is a clear error (exit 3) naming what to run. `peers`:
 * the config's wireguard= keys with their lines; this host's own public key among them is refused (WireGuard ignores a
 * peer with the interface's own key: the tunnel would stay silent), which is what copying the wrong side's line does.
 */
export function loadWgKey(configFile: string, program: string, peers: ReadonlyArray<{ line: number; wireguard: string | null }> = []): WgKey {
  const file = keyFileOf(configFile);
  if (!existsSync(file)) throw new UserError(`${configFile} asks for encryption (wireguard=), but ${file} does not exist: run ${program} keys; nothing was changed`, 3);
  const unsafe = checkConfigFile(file);
  if (unsafe) throw new UserError(`refusing ${file}: ${unsafe}; nothing was changed`, 3);
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) throw new UserError(`refusing ${file}: a private key must be readable by root alone (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}; nothing was changed`, 3);
  const publicKey = publicKeyOf(readFileSync(file, 'utf8'));
  if (!publicKey) throw new UserError(`${file} is not a WireGuard private key (32 bytes in base64): move it away and run ${program} keys; nothing was changed`, 3);
  const own = peers.find((p) => p.wireguard === publicKey);
  if (own) {
    const other = program.endsWith('receive') ? 'ux-tunnel-transmit' : 'ux-tunnel-receive';
    throw new UserError(`${configFile}:${own.line}: wireguard: ${publicKey} is this host's own public key (of ${file}); the line needs the other side's: run "${other} keys" there; nothing was changed`, 3);
  }
  return { file, publicKey };
}

/**
 * `keys`: makes the private key when there is none (0600, created so: never readable by others, not even for an
 * instant), and prints the public key with the option line for the other side. An existing key is kept: a new one
 * would cut every peer off until their lines change.
 */
export function runKeys(args: ParsedArgs, configFile: string, program: string, otherSide: string): number {
  const file = keyFileOf(configFile);
  const made = !existsSync(file);
  if (made && args.flags.get('dry-run') !== true) {
    if (!existsSync(dirname(file))) throw new UserError(`${dirname(file)} does not exist: install first (${program} install), or pass --config`, 3);
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${newPrivateKey()}\n`);
    } finally {
      closeSync(fd);
    }
    chmodSync(file, 0o600);
  }
  if (made && args.flags.get('dry-run') === true) {
    process.stdout.write(`[info] would create ${file} (a new WireGuard private key, mode 0600)\n`);
    return 0;
  }
  const publicKey = loadWgKey(configFile, program).publicKey;
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify({ keyFile: file, created: made, publicKey })}\n`);
    return 0;
  }
  process.stdout.write(`[info] ${made ? 'created' : 'kept'} ${file} (private key, mode 0600, never printed)\n`);
  process.stdout.write(`[info] public key: ${publicKey}\n`);
  process.stdout.write(`[info] to encrypt a tunnel, add this option to its line in ${otherSide}:\nwireguard=${publicKey}\n`);
  return 0;
}
