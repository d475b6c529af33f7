// Edits tunnels.conf for `config add|remove`: keeps comments and order, validates the result, writes atomically.
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatTunnelLine, parseTunnelsConf, type ReceiveTunnel, type TunnelsConf } from './tunnels.js';
import { parseIPv4, parseTunnelId } from './values.js';

/** A `config add|remove` request that cannot be carried out (the file itself is fine). */
export class EditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditError';
  }
}

export interface Edit {
  readonly text: string;
  readonly conf: TunnelsConf;
  /** The tunnel the edit added or removed. */
  readonly tunnel: ReceiveTunnel;
}

/** Appends a tunnel line; the whole file is validated as it would be read, so duplicates are caught. */
export function addTunnel(file: string, text: string, receivingIp: string, transmitIp: string, tunnelId?: string): Edit {
  const lineText = formatTunnelLine(receivingIp, transmitIp, tunnelId);
  const body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const next = `${body}${lineText}\n`;
  const lineNumber = body === '' ? 1 : body.split('\n').length;
  const conf = parseTunnelsConf(file, next);
  const tunnel = conf.tunnels.find((t) => t.line === lineNumber);
  if (!tunnel) throw new Error(`config add: the new line ${lineNumber} was not parsed`);
  return { text: next, conf, tunnel };
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
  if (typeof id !== 'number' && byTransmit.length === 0) throw new EditError(`"${key}" is neither a transmit address nor a tunnel ID (${id})`);
  if (matches.length === 0) throw new EditError(`no tunnel has transmit address or tunnel ID ${key}`);
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
