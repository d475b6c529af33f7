// The monitor's state file: rewritten every second, read by `ux-tunnel-receive status` (information, never a source of truth).
import { readFileSync, rmSync } from 'node:fs';
import { runFile, writeRunFile } from '../kernel/run-files.js';
import type { HealthSnapshot } from './snapshot.js';

/** A state file older than this belongs to a monitor that is not running any more (it rewrites it every second). */
export const STATE_FRESH_SECONDS = 10;

export function monitorStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return runFile('receive-monitor.json', env);
}

export function writeMonitorState(file: string, snapshot: HealthSnapshot): string | null {
  return writeRunFile(file, `${JSON.stringify(snapshot)}\n`);
}

export function removeMonitorState(file: string): void {
  rmSync(file, { force: true });
}

export type MonitorState =
  | { readonly running: true; readonly snapshot: HealthSnapshot }
  | { readonly running: false; readonly why: string; readonly snapshot: HealthSnapshot | null };

/** The last snapshot and whether its monitor still runs (its pid exists and it wrote the file recently). */
export function readMonitorState(file: string, nowMs = Date.now()): MonitorState {
  let snapshot: HealthSnapshot;
  try {
    snapshot = JSON.parse(readFileSync(file, 'utf8')) as HealthSnapshot;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { running: false, why: code === 'ENOENT' ? 'not running' : `unreadable state file ${file}`, snapshot: null };
  }
  const age = (nowMs - Date.parse(snapshot.updated)) / 1000;
  if (!pidAlive(snapshot.pid)) return { running: false, why: `not running (pid ${snapshot.pid} has exited)`, snapshot };
  if (!(age <= STATE_FRESH_SECONDS)) return { running: false, why: `not responding (last update ${Math.round(age)} s ago)`, snapshot };
  return { running: true, snapshot };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
