// Edits tunnels.conf for `config add|remove`: keeps comments and order, validates the result, writes atomically.
import { DEFAULT_UDP_PORT } from './tunnel-options.js';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatTunnelLine, freeUdpPort, parseTunnelsConf, type ReceiveTunnel, type TunnelsConf } from './tunnels.js';
import { describeTunnelId, parseIPv4, parseTunnelId } from './values.js';
import { ConfigErrors, type ConfigError } from './errors.js';
import { secretReadableReason } from './file-safety.js';
import { hideCookies } from './tunnel-options.js';

/**
 * A `config add|remove` request that cannot be carried out (the file itself is fine). exitCode 3 when the request is
 * bad configuration (an invalid or clashing line), 1 when it names nothing there is.
 */
export class EditError extends Error {
  constructor(
    message: string,
    readonly exitCode = 3,
  ) {
    super(message);
    this.name = 'EditError';
  }
}

/** A problem of the line being added, found after the edit (the receiving IP is not local): told as the new line's. */
export function newLineErrors(error: ConfigErrors, line: number): EditError | null {
  const ours = error.errors.filter((e) => e.location.line === line);
  if (ours.length === 0 || ours.length !== error.errors.length) return null;
  return new EditError(ours.map((e) => `${e.field ? `${e.field}: ` : ''}${e.reason}`).join('; '));
}

export interface Edit {
  readonly text: string;
  readonly conf: TunnelsConf;
  /** The tunnel the edit added or removed. */
  readonly tunnel: ReceiveTunnel;
}

/**
 * Appends a tunnel line. The file must be valid before the edit; a web server already in it is refused naming its
 * line, and the new line is validated as the file would be read, its errors told as the new line's (it has no line
 * number in the file yet).
 */
export function addTunnel(file: string, text: string, receivingIp: string, transmitIp: string, tunnelId?: string, cookie: string | null = null, udp: number | 'auto' | null = null): Edit {
  const before = parseTunnelsConf(file, text);
  const udpPort = udp === 'auto' ? freeUdpPort(before.tunnels, receivingIp, DEFAULT_UDP_PORT) : udp;
  const lineText = formatTunnelLine(receivingIp, transmitIp, tunnelId, cookie, udpPort);
  const body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const next = `${body}${lineText}\n`;
  const lineNumber = body === '' ? 1 : body.split('\n').length;
  let conf: TunnelsConf;
  try {
    conf = parseTunnelsConf(file, next);
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    const all = error.errors.filter((e) => e.location.line === lineNumber);
    if (all.length === 0) throw error;
    // The same web server again: that alone is the answer (its tunnel ID clashes too, naturally).
    const again = all.filter((e) => /duplicate transmit address/.test(e.reason));
    const ours = again.length > 0 ? again : all;
    const lines = text.split('\n');
    throw new EditError(ours.map((e) => clashText(e, before.tunnels, lines)).join('; '));
  }
  const tunnel = conf.tunnels.find((t) => t.line === lineNumber);
  if (!tunnel) throw new Error(`config add: the new line ${lineNumber} was not parsed`);
  return { text: next, conf, tunnel };
}

/** An error of the new line, in words that fit a line not yet in the file; a duplicate names the line it clashes with. */
function clashText(error: ConfigError, existing: readonly ReceiveTunnel[], lines: readonly string[]): string {
  const same = /already (?:used )?on line (\d+)/.exec(error.reason);
  const other = same ? existing.find((t) => t.line === Number(same[1])) : undefined;
  if (other && /duplicate transmit address/.test(error.reason)) {
    const written = hideCookies((lines[other.line - 1] ?? '').replace(/#.*/, '').trim());
    return `${other.transmitIp} is already configured on line ${other.line} ("${written}"): nothing to add; to change it, config remove ${other.transmitIp} first`;
  }
  if (other) {
    return `tunnel ID ${describeTunnelId(other.tunnelId)} is already used by line ${other.line} (web server ${other.transmitIp}): give this web server another tunnel ID (the third argument)`;
  }
  return `${error.field ? `${error.field}: ` : ''}${error.reason}`;
}

/**
 * Removes the line of the tunnel whose transmit-side-ip or tunnel ID is `key` (an address can be either: a transmit
 * address wins only when it names a single tunnel). The file must be valid before the edit.
 */
export function removeTunnel(file: string, text: string, key: string): Edit {
  const before = parseTunnelsConf(file, text);
  const byTransmit = parseIPv4(key) !== null ? before.tunnels.filter((t) => t.transmitIp === key) : [];
  const id = parseTunnelId(key);
  const byId = typeof id === 'number' ? before.tunnels.filter((t) => t.tunnelId === id) : [];
  const matches = [...new Set([...byTransmit, ...byId])];
  if (typeof id !== 'number' && byTransmit.length === 0) throw new EditError(`"${key}" is neither a transmit address nor a tunnel ID (${id})`, 2);
  if (matches.length === 0) throw new EditError(`no tunnel has transmit address or tunnel ID ${key}`, 1);
  if (matches.length > 1) {
    throw new EditError(`${key} matches lines ${matches.map((t) => t.line).join(' and ')} (transmit address of one, tunnel ID of another): remove by the tunnel ID as a number`);
  }
  const tunnel = matches[0]!;
  const lines = text.split('\n');
  lines.splice(tunnel.line - 1, 1);
  const next = lines.join('\n');
  return { text: next, conf: parseTunnelsConf(file, next), tunnel };
}

/** Writes a temporary file next to `path` and renames it over `path`, so a reader never sees half a file. */
export function writeFileAtomic(path: string, text: string): void {
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    /* a new file */
  }
  // A file that now holds a cookie becomes root-only (read through the config's checks, it would be refused otherwise).
  if (secretReadableReason(path, text, mode)) mode &= 0o700;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
}
