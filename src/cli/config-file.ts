// Reading either side's config file, with errors that say what to do: a missing file (how to create it), a directory
// given as --config, a file this user may not read, a file others than root could have written (file-safety.ts).
// Exit status 3 (bad configuration) for all of them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkConfigFile, secretReadableReason } from '../config/file-safety.js';
import { UserError } from './main.js';

export interface ConfigFileHelp {
  /** The file's usual name (tunnel.conf, tunnels.conf), to suggest inside a directory given as --config. */
  readonly name: string;
  /** How to write the file when it does not exist, e.g. 'one line such as "10.10.10.10 10.10.10.11 ens3 i80"'. */
  readonly create: string;
}

/** The file's text; null when it is missing and `missingOk` (the caller reads that as empty). */
export function readConfigFile(file: string, help: ConfigFileHelp, missingOk = false): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingOk) return null;
    if (code === 'ENOENT') {
      const example = join(dirname(file), `${basename(file)}.example`);
      const how = existsSync(example) ? `copy ${example} to it and edit it` : `create it with ${help.create}`;
      throw new UserError(`${file} does not exist: ${how}, or pass --config FILE; nothing was changed`, 3);
    }
    if (code === 'EISDIR') throw new UserError(`${file} is a directory: --config takes the file itself, e.g. --config ${join(file, help.name)}`, 3);
    if (code === 'EACCES') throw new UserError(`cannot read ${file}: permission denied (config files are root's: run as root, or check the file's owner and mode)`, 3);
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`, 3);
  }
  const unsafe = checkConfigFile(file) ?? secretReadableReason(file, text, statSync(file).mode);
  if (unsafe) throw new UserError(`refusing ${file}: ${unsafe}; nothing was changed`, 3);
  return text;
}
