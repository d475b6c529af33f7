// Runtime files under /run/ux-tunnel ($UX_TUNNEL_RUN_DIR): status information that processes leave for `status`.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function runFile(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.UX_TUNNEL_RUN_DIR ?? '/run/ux-tunnel', name);
}

/**
 * Writes then renames, so a reader never sees half a file. Root's only (directory 0700, file 0600): they tell which
 * web servers feed this collector and how. Returns the error message instead of throwing: these files
 * are information only, and a read-only /run must never stop the process that writes them.
 */
export function writeRunFile(file: string, text: string): string | null {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    chmodSync(`${file}.tmp`, 0o600); // an earlier .tmp left by a crash keeps its mode through writeFileSync
    renameSync(`${file}.tmp`, file);
    return null;
  } catch (error) {
    return `cannot write ${file}: ${(error as Error).message}`;
  }
}
