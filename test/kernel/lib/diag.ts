// Helpers for the diag kernel tests: run a CLI inside a namespace, wait until its capture is listening, background jobs.
import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { exec, spawnStream, type ExecResult } from '../../../src/kernel/exec.js';
import type { Netns } from './netns.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', '..', 'bin');

/** Starts `ux-tunnel-<side> ARGS` inside ns; resolves with its output and exit status whatever they are. */
export function cli(ns: Netns, side: 'receive' | 'transmit', ...args: string[]): Promise<ExecResult> {
  return exec(ns.argv(process.execPath, resolve(BIN, `ux-tunnel-${side}`), ...args));
}

export interface RunningCli {
  /** Ctrl-C: the CLI stops its capture and reports what it saw. */
  interrupt(): void;
  readonly done: Promise<ExecResult>;
}

/** Starts the CLI in ns and returns at once; `ip netns exec` and the bin launcher keep node's process ID. */
export function startCli(ns: Netns, side: 'receive' | 'transmit', ...args: string[]): RunningCli {
  const argv = ns.argv(process.execPath, resolve(BIN, `ux-tunnel-${side}`), ...args);
  const child = spawnStream(argv);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<ExecResult>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ argv, code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
  return { interrupt: () => void child.kill('SIGINT'), done };
}

/**
 * Waits until ns holds `count` packet sockets (/proc/net/packet is per namespace): a tcpdump that has opened its
 * socket is a moment away from "listening on"; a short pause covers attaching its filter.
 */
export async function waitForPacketSockets(ns: Netns, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const { stdout } = await ns.run('cat', '/proc/net/packet');
    seen = stdout.trim().split('\n').length - 1;
    if (seen >= count) {
      await new Promise((r) => setTimeout(r, 500));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`only ${seen} of ${count} packet sockets opened in ${ns.name} within ${timeoutMs / 1000}s`);
}

/** A long-running process in ns (a server, a periodic ping); killed when the namespace is removed, or by stop(). */
export function background(ns: Netns, ...argv: string[]): { child: ChildProcess; stop(): void } {
  const child = spawnStream(ns.argv(...argv));
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, stop: () => void child.kill('SIGKILL') };
}

/** The "[info]"/"[warn]" lines of a CLI's standard output. */
export function reportLines(result: ExecResult): string[] {
  return result.stdout.split('\n').filter((line) => line !== '');
}
