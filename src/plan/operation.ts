// A kernel operation: one ip or tc command that changes state, with the command that undoes it (for rollback).

export type Tool = 'ip' | 'tc' | 'sysctl' | 'modprobe' | 'nft' | 'firewall-cmd';

export interface Operation {
  readonly tool: Tool;
  /** Arguments after the tool name, e.g. ['link', 'add', 'ruei-mtun', 'type', 'dummy']. */
  readonly args: readonly string[];
  /** Undoes this operation when a later one in the same apply fails; absent when nothing needs undoing. */
  readonly undo?: Operation;
  /** An error from this operation that means the desired state already holds, e.g. /File exists/ on a re-run. */
  readonly tolerate?: RegExp;
}

export function op(tool: Tool, args: readonly string[], undo?: Operation): Operation {
  return undo ? { tool, args, undo } : { tool, args };
}

export const ip = (args: readonly string[], undo?: Operation): Operation => op('ip', args, undo);
export const tc = (args: readonly string[], undo?: Operation): Operation => op('tc', args, undo);

export function argvOf(operation: Operation): string[] {
  return [operation.tool, ...operation.args];
}
