// A kernel operation: one ip or tc command (or a write to a sysfs/procfs file) that changes state, with the
// operation that undoes it (for rollback).

/** 'write' is not a process: args are [path, value], written by the runner itself (echo VALUE > PATH). */
export type Tool = 'ip' | 'tc' | 'sysctl' | 'modprobe' | 'nft' | 'firewall-cmd' | 'wg' | 'write';

export interface Operation {
  readonly tool: Tool;
  /** Arguments after the tool name, e.g. ['link', 'add', 'ruei-mtun', 'type', 'dummy']. */
  readonly args: readonly string[];
  /** Undoes this operation when a later one in the same apply fails; absent when nothing needs undoing. */
  readonly undo?: Operation;
  /** An error from this operation that means the desired state already holds, e.g. /File exists/ on a re-run. */
  readonly tolerate?: RegExp;
  /**
   * An error that means "not yet": the operation is run again after a pause, up to `attempts` times. For what the
   * kernel finishes asynchronously, e.g. a tc action whose filters were just replaced stays bound until the old
   * filters are destroyed after an RCU grace period.
   */
  readonly retry?: { readonly on: RegExp; readonly attempts: number; readonly pauseMs: number };
}

export function op(tool: Tool, args: readonly string[], undo?: Operation): Operation {
  return undo ? { tool, args, undo } : { tool, args };
}

export const ip = (args: readonly string[], undo?: Operation): Operation => op('ip', args, undo);
export const tc = (args: readonly string[], undo?: Operation): Operation => op('tc', args, undo);

/** A kernel setting file (sysfs, procfs) set to a value; printed as the shell line an operator would type. */
export const write = (path: string, value: string, undo?: Operation): Operation => op('write', [path, value], undo);

export function argvOf(operation: Operation): string[] {
  return [operation.tool, ...operation.args];
}

/** How an operation is shown after "[#] ": the command line, or "echo VALUE > PATH" for a write. */
export function describeOperation(operation: Operation, format: (argv: readonly string[]) => string): string {
  if (operation.tool === 'write') return `echo ${operation.args[1]} > ${operation.args[0]}`;
  return format(argvOf(operation));
}
