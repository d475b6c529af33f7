// The command-runner boundary for kernel state: reads always run, changes are echoed ("[#] ip ...") and can be dry-run.
import { CommandError, exec, formatArgv, type ExecResult } from './exec.js';
import { noJsonError } from './iproute2.js';
import { writeFile } from 'node:fs/promises';
import { argvOf, describeOperation, type Operation, type Tool } from '../plan/operation.js';

export interface RunnerOptions {
  /** Print the commands that would change state, change nothing. */
  readonly dryRun?: boolean;
  /** Where "[#] command" lines go; defaults to stderr, silent when null. */
  readonly echo?: ((line: string) => void) | null;
}

export interface KernelRunner {
  readonly dryRun: boolean;
  /** Runs a command that only reads state; throws CommandError when it fails. */
  read(argv: readonly string[]): Promise<ExecResult>;
  /** Runs a read whose failure is an answer (e.g. "does this device exist?"). */
  probe(argv: readonly string[]): Promise<ExecResult>;
  /** Applies operations in order; on a failure undoes the ones already applied, then throws. Returns how many ran. */
  apply(operations: readonly Operation[]): Promise<number>;
}

// Consecutive ip (or tc) operations are sent through one "ip -batch -" process: a thousand tunnels cost a few
// process starts rather than thousands, which keeps start within reach of a raw ip -batch.
const BATCHABLE: ReadonlySet<Tool> = new Set(['ip', 'tc']);

export function systemRunner(options: RunnerOptions = {}): KernelRunner {
  const dryRun = options.dryRun ?? false;
  const echo = options.echo === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.echo;
  return {
    dryRun,
    async read(argv) {
      const result = await exec(argv);
      if (result.code !== 0) throw (await tooOld(argv, result)) ?? new CommandError(argv, result.code, result.stderr);
      return result;
    },
    async probe(argv) {
      const result = await exec(argv);
      const old = await tooOld(argv, result);
      if (old) throw old;
      return result;
    },
    async apply(operations) {
      for (const operation of operations) echo?.(`[#] ${describeOperation(operation, formatArgv)}`);
      if (dryRun || operations.length === 0) return operations.length;
      const done: Operation[] = [];
      try {
        for (const group of groupBatches(operations)) {
          await runGroup(group, done);
        }
      } catch (error) {
        await rollback(done, echo);
        throw error;
      }
      return operations.length;
    },
  };
}

/** An ip/tc JSON read that failed because iproute2 has no JSON output: the error that says to upgrade. */
async function tooOld(argv: readonly string[], result: ExecResult): Promise<Error | null> {
  if (result.code === 0 || !noJsonError(argv, result)) return null;
  return noJsonError(argv, result, (await exec([argv[0]!, '-V'])).stdout);
}

interface Group {
  readonly batchable: boolean;
  readonly operations: Operation[];
}

function groupBatches(operations: readonly Operation[]): Group[] {
  const groups: Group[] = [];
  for (const operation of operations) {
    const batchable = BATCHABLE.has(operation.tool) && !operation.tolerate && !operation.retry && operation.args.every((a) => /^\S+$/.test(a));
    const last = groups[groups.length - 1];
    if (last && batchable && last.batchable && last.operations[0]?.tool === operation.tool) last.operations.push(operation);
    else groups.push({ batchable, operations: [operation] });
  }
  return groups;
}

async function runGroup(group: Group, done: Operation[]): Promise<void> {
  if (!group.batchable || group.operations.length === 1) {
    for (const operation of group.operations) {
      if (operation.tool === 'write') {
        await writeSetting(operation);
        done.push(operation);
        continue;
      }
      let result = await exec(argvOf(operation));
      for (let attempt = 1; result.code !== 0 && operation.retry && attempt < operation.retry.attempts && operation.retry.on.test(result.stderr); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, operation.retry!.pauseMs));
        result = await exec(argvOf(operation));
      }
      if (result.code !== 0 && !(operation.tolerate && operation.tolerate.test(result.stderr))) {
        throw new CommandError(argvOf(operation), result.code, result.stderr);
      }
      done.push(operation);
    }
    return;
  }
  const ops = group.operations;
  const tool = ops[0]!.tool;
  const input = ops.map((operation) => operation.args.join(' ')).join('\n') + '\n';
  const result = await exec([tool, '-batch', '-'], { input });
  if (result.code === 0) {
    done.push(...ops);
    return;
  }
  // Without -force, ip/tc stop at the first failing line and name it: "Command failed -:LINE".
  const match = /Command failed -:(\d+)/.exec(result.stderr);
  const failedIndex = match ? Number(match[1]) - 1 : 0;
  done.push(...ops.slice(0, failedIndex));
  const failed = ops[failedIndex] ?? ops[0]!;
  const stderr = result.stderr.replace(/Command failed -:\d+\s*/g, '').trim();
  throw new CommandError(argvOf(failed), result.code, stderr);
}

/** A write to a kernel setting file; its failure reads like a failed command (what, where, the kernel's answer). */
async function writeSetting(operation: Operation): Promise<void> {
  const [path, value] = operation.args as [string, string];
  try {
    await writeFile(path, `${value}\n`);
  } catch (error) {
    throw new CommandError(['echo', value, '>', path], 1, (error as Error).message);
  }
}

async function rollback(done: readonly Operation[], echo: ((line: string) => void) | null): Promise<void> {
  const undos = done.map((operation) => operation.undo).filter((u): u is Operation => u !== undefined).reverse();
  if (undos.length === 0) return;
  echo?.(`[!] rolling back ${undos.length} operation(s)`);
  for (const undo of undos) {
    echo?.(`[#] ${describeOperation(undo, formatArgv)}`);
    // Best effort: a failed undo must not hide the original error.
    if (undo.tool === 'write') await writeSetting(undo).catch(() => undefined);
    else await exec(argvOf(undo));
  }
}
