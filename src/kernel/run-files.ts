// Runtime files under /run/ux-tunnel ($UX_TUNNEL_RUN_DIR): status information that processes leave for `status`.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function runFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.UX_TUNNEL_RUN_DIR ?? '/run/ux-tunnel', name);
}

/**
 * Writes then renames, so a reader never sees half a file. Returns the error message instead of throwing: these files
 * are information only, and a read-only /run must never stop the process that writes them.
 */
export function writeRunFile(file: string, text: string): string | null {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    return null;
  } catch (error) {
    return `cannot write ${file}: ${(error as Error).message}`;
  }
}
