// Shared entry point of both executables: runs a command, turns known errors into one clear line and an exit status.
import { CommandError } from '../kernel/exec.js';
import { PrerequisiteError } from '../kernel/prerequisites.js';
import { ConfigError, ConfigErrors } from '../config/errors.js';
import { UsageError } from './args.js';
import { systemRunner, type KernelRunner } from '../kernel/runner.js';

/** An error whose message is complete and meant for the user as it is (no stack trace). */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

let stdoutClosed = false;

/**
 * True once the reader of stdout has gone (`status --watch | head -1`): loops that only print stop. Nothing else stops
 * on it: a start whose summary cannot be printed still finishes its changes (never half applied because of a pager).
 */
export function outputClosed(): boolean {
  return stdoutClosed;
}

/** Exit statuses: 1 failure (including a failed check), 2 usage, 3 bad configuration, 4 missing prerequisite. */
export async function runMain(program: string, body: () => Promise<number>): Promise<void> {
  // A broken pipe ends output quietly, never with a stack trace; other stream errors stay errors.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (stream === process.stdout) stdoutClosed = true;
    });
  }
  let code: number;
  try {
    code = await body();
  } catch (error) {
    code = reportError(program, error);
  }
  process.exitCode = code;
}

function reportError(program: string, error: unknown): number {
  const say = (message: string) => process.stderr.write(`${program}: ${message}\n`);
  if (error instanceof UsageError) {
    say(`${error.message} (see ${program} --help)`);
    return 2;
  }
  if (error instanceof ConfigErrors || error instanceof ConfigError) {
    for (const line of error.message.split('\n')) say(`error: ${line}`);
    say('nothing was changed');
    return 3;
  }
  if (error instanceof PrerequisiteError) {
    say(`error: ${error.message}`);
    return 4;
  }
  if (error instanceof UserError || error instanceof CommandError) {
    say(`error: ${error.message}`);
    return error instanceof UserError ? error.exitCode : 1;
  }
  say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 70;
}

/** [#] lines go to stdout for --dry-run (they are the output asked for), to stderr otherwise (a log of the change). */
export function makeRunner(dryRun: boolean): KernelRunner {
  return systemRunner({ dryRun, echo: (line) => (dryRun ? process.stdout : process.stderr).write(`${line}\n`) });
}
